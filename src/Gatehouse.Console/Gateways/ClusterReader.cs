using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Gatehouse.Client;
using Gatehouse.NodeSets;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.WebConsole.Gateways;

/// <summary>
/// Everything the pages show, asked of the gateways through the native protocol only, as the CLI
/// asks: the member list of the <c>--via</c> gateway (<c>members --json</c>), each member's
/// <c>status --json</c> and <c>services --json</c>. Nothing is cached; each page refresh asks again
/// (over the pooled connections).
/// </summary>
internal sealed class ClusterReader(ConsoleOptions options, GatewayPins pins, ClientPool pool)
{
    private static readonly TimeSpan ControlCallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The console's options.</summary>
    public ConsoleOptions Options => options;

    /// <summary>A member as <c>members --json</c> lists it.</summary>
    internal sealed record Member(string Address, string State, Fingerprint? Fingerprint, string? Host, bool Self);

    /// <summary>The member list of <c>--via</c> (null without one), or why there is none.</summary>
    public async Task<(IReadOnlyList<Member>? Members, GatewayProblem? Problem)> MembersAsync(CancellationToken cancellationToken)
    {
        if (options.Via is not { } via)
        {
            return (null, null);
        }

        Endpoint endpoint;
        try
        {
            endpoint = Endpoint.Parse(via);
        }
        catch (FormatException ex)
        {
            return (null, new GatewayProblem("error", $"--via {via}: {ex.Message}"));
        }

        var (output, problem, _) = await AskAsync(endpoint, null, "members", cancellationToken);
        if (output is null)
        {
            return (null, problem);
        }

        try
        {
            return (ParseMembers(output), null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return (null, new GatewayProblem("error", $"{via} answered 'members' with something that is not a member list"));
        }
    }

    /// <summary>Reads <c>members --json</c>.</summary>
    /// <exception cref="JsonException">Not JSON.</exception>
    /// <exception cref="KeyNotFoundException">A member without address or state.</exception>
    internal static List<Member> ParseMembers(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var list = new List<Member>();
        foreach (var m in doc.RootElement.EnumerateArray())
        {
            Fingerprint? fp = m.TryGetProperty("fingerprint", out var f) && Fingerprint.TryParse(f.GetString(), out var parsed) ? parsed : null;
            string? host = m.TryGetProperty("host", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null;
            bool self = m.TryGetProperty("self", out var s) && s.ValueKind == JsonValueKind.True;
            list.Add(new Member(m.GetProperty("address").GetString()!, m.GetProperty("state").GetString()!, fp, host, self));
        }

        return list;
    }

    /// <summary>The groups node sets may name: the groups file's, and <c>@cluster</c> (live members) when there is a member list.</summary>
    /// <exception cref="FormatException">The groups file is malformed (the message names the line).</exception>
    /// <exception cref="IOException">The groups file cannot be read.</exception>
    public static ConsoleGroups Groups(ConsoleOptions options, IReadOnlyList<Member>? members)
    {
        var file = options.GroupsPath is { } path && File.Exists(path) ? NodeGroups.Load(path) : NodeGroups.Empty;
        NodeSet? cluster = members is null ? null : NodeSet.FromNodes(members.Where(m => m.State is "alive" or "suspect").Select(m => m.Address));
        return new ConsoleGroups(file, cluster);
    }

    /// <summary>The cluster page's data.</summary>
    public async Task<ClusterView> ReadClusterAsync(CancellationToken cancellationToken)
    {
        var (members, viaProblem) = await MembersAsync(cancellationToken);
        var entries = new Dictionary<string, Member>(StringComparer.OrdinalIgnoreCase);
        foreach (var m in members ?? [])
        {
            entries[m.Address] = m;
        }

        ConsoleGroups? groups = null;
        GatewayProblem? nodesProblem = null;
        try
        {
            groups = Groups(options, members);
            foreach (string expression in options.Nodes)
            {
                foreach (string node in NodeSet.Parse(expression, groups.ParseOptions))
                {
                    entries.TryAdd(node, new Member(node, "node", null, null, false));
                }
            }
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            nodesProblem = new GatewayProblem("error", ex.Message);
        }

        var views = await Task.WhenAll(entries.Values.OrderBy(m => m.Address, NaturalComparer.Instance).Select(m => DescribeAsync(m, cancellationToken)));
        string source = options.Via is { } via
            ? $"members of {via}" + (options.Nodes.Count > 0 ? " and " + string.Join(", ", options.Nodes) : string.Empty)
            : "node set " + string.Join(", ", options.Nodes);
        return new ClusterView(source, options.Via, viaProblem ?? nodesProblem, views, groups?.Names ?? [], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    private async Task<MemberView> DescribeAsync(Member member, CancellationToken cancellationToken)
    {
        Endpoint endpoint;
        Pin pin;
        try
        {
            endpoint = Endpoint.Parse(member.Address);
            pin = pins.For(endpoint, member.Fingerprint);
        }
        catch (FormatException ex)
        {
            return new MemberView(member.Address, member.Host, member.State, member.Self, member.Fingerprint?.ToString(), "none", null, null, null, new GatewayProblem("error", ex.Message));
        }

        if (member.State is not ("alive" or "suspect" or "node"))
        {
            // Known dead or gone: not dialled, as the CLI does not dial them.
            return new MemberView(member.Address, member.Host, member.State, member.Self, member.Fingerprint?.ToString(), pin.Source, pin.Conflict, null, null, null);
        }

        var clock = Stopwatch.StartNew();
        var (output, problem, _) = await AskAsync(endpoint, member.Fingerprint, "status", cancellationToken);
        double latency = clock.Elapsed.TotalMilliseconds;
        GatewayStatusView? status = null;
        if (output is not null)
        {
            try
            {
                status = JsonSerializer.Deserialize<GatewayStatusView>(output, JsonSerializerOptions.Web);
            }
            catch (JsonException)
            {
                problem = new GatewayProblem("error", "answered 'status' with something that is not a status");
            }
        }

        return new MemberView(member.Address, member.Host, member.State, member.Self, member.Fingerprint?.ToString(), pin.Source, pin.Conflict,
            status, output is null ? null : Math.Round(latency, 2), problem);
    }

    /// <summary>The services page's data: <c>services --json</c> of every live member (or node), merged by route.</summary>
    public async Task<ServicesView> ReadServicesAsync(CancellationToken cancellationToken)
    {
        var cluster = await ReadClusterAsync(cancellationToken);
        var problems = new Dictionary<string, GatewayProblem>(StringComparer.Ordinal);
        if (cluster.ViaProblem is { } vp && cluster.Via is { } via)
        {
            problems[via] = vp;
        }

        var live = cluster.Members.Where(m => m.Problem is null && m.Status is not null).ToList();
        var answers = await Task.WhenAll(live.Select(async m =>
        {
            var endpoint = Endpoint.Parse(m.Address);
            Fingerprint? reported = Fingerprint.TryParse(m.Fingerprint, out var fp) ? fp : null;
            var (output, problem, _) = await AskAsync(endpoint, reported, "services", cancellationToken);
            return (m.Address, output, problem);
        }));

        var byRoute = new SortedDictionary<(string Domain, string Command), List<RouteAtGateway>>();
        foreach (var (address, output, problem) in answers)
        {
            if (output is null)
            {
                problems[address] = problem!;
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(output);
                foreach (var r in doc.RootElement.EnumerateArray())
                {
                    var services = r.GetProperty("services").EnumerateArray().ToList();
                    var key = (r.GetProperty("domain").GetString()!, r.GetProperty("command").GetString()!);
                    if (!byRoute.TryGetValue(key, out var list))
                    {
                        byRoute[key] = list = [];
                    }

                    list.Add(new RouteAtGateway(address, [.. services.Select(s => s.GetProperty("service").GetString()!)],
                        services.Sum(s => s.GetProperty("outstanding").GetInt32()), r.GetProperty("queued").GetInt32(),
                        services.Sum(s => s.GetProperty("concurrency").GetInt32()), services.Sum(s => s.GetProperty("served").GetInt64())));
                }
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
            {
                problems[address] = new GatewayProblem("error", "answered 'services' with something that is not a route list");
            }
        }

        var routes = byRoute.Select(kv =>
        {
            var hosts = NodeSet.FromNodes(kv.Value.Where(g => g.Services.Count > 0).Select(g => g.Gateway));
            return new RouteView(kv.Key.Domain, kv.Key.Command, hosts.Fold(), kv.Value.Sum(g => g.Outstanding), kv.Value.Sum(g => g.Queued),
                kv.Value.Sum(g => g.Concurrency), kv.Value.Sum(g => g.Served), [.. kv.Value.Where(g => g.Services.Count > 0 || g.Queued > 0)]);
        }).Where(r => r.PerGateway.Count > 0).ToList();
        return new ServicesView(routes, problems, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    /// <summary>
    /// Calls an admin command (<c>gatehouse COMMAND --json</c>) on one gateway with the user's
    /// identity and the gateway's pin. Returns its stdout, or why there is none.
    /// </summary>
    public async Task<(byte[]? Output, GatewayProblem? Problem, Pin Pin)> AskAsync(Endpoint endpoint, Fingerprint? reported, string command, CancellationToken cancellationToken)
    {
        Pin pin;
        try
        {
            pin = pins.For(endpoint, reported);
        }
        catch (FormatException ex)
        {
            return (null, new GatewayProblem("error", ex.Message), new Pin(null, "none", null));
        }

        if (pin.Fingerprint is not { } fingerprint)
        {
            return (null, GatewayProblem.Untrusted(endpoint), pin);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ControlCallTimeout + options.ConnectTimeout);
        try
        {
            var result = await pool.Get(endpoint, fingerprint).CallAsync(new CallRequest(command, "--json") { Domain = RequestHeader.ControlDomain, Idempotent = true }, timeout.Token);
            return result.Status.IsSuccess ? (result.Stdout, null, pin) : (null, GatewayProblem.Of(result.Status), pin);
        }
        catch (ConnectException ex)
        {
            return (null, GatewayProblem.Of(ex, endpoint, pin), pin);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, new GatewayProblem("connect", $"no answer to '{command}' within {(ControlCallTimeout + options.ConnectTimeout).TotalSeconds:0} s"), pin);
        }
        catch (Exception ex) when (ex is Transport.Mux.ConnectionClosedException or IOException or InvalidOperationException)
        {
            return (null, GatewayProblem.Of(ex), pin);
        }
    }
}

/// <summary>The groups of the groups file, and <c>@cluster</c> for the live members when there is a member list (a groups file's own <c>cluster</c> wins, as in the CLI).</summary>
internal sealed class ConsoleGroups(NodeGroups file, NodeSet? cluster) : INodeGroupSource
{
    /// <summary>Options for <see cref="NodeSet.Parse"/> with these groups.</summary>
    public NodeSetParseOptions ParseOptions => new() { Groups = this };

    /// <summary>Every group name, sorted.</summary>
    public IReadOnlyList<string> Names => [.. file.Names.Concat(cluster is null || file.TryGetGroup("cluster", out _) ? [] : ["cluster"]).Order(StringComparer.Ordinal)];

    /// <summary>The live members, when there is a member list.</summary>
    public NodeSet? Cluster => cluster;

    public bool TryGetGroup(string name, [NotNullWhen(true)] out NodeSet? nodes)
    {
        if (file.TryGetGroup(name, out nodes))
        {
            return true;
        }

        nodes = name == "cluster" ? cluster : null;
        return nodes is not null;
    }
}
