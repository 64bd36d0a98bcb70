using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Gatehouse.Client;
using Gatehouse.NodeSets;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// <c>@cluster</c> in a node set: the members of the cluster as the gateway named by <c>--via</c>
/// knows them (<c>gatehouse members --json</c>, which needs the admin role there). Live members
/// (alive or suspect) become nodes; members known dead or gone are reported at once instead of
/// being dialled. For <c>call</c> a member's node is its address, pinned to its own fingerprint; for
/// <c>remctl</c> it is its host and the remctl port it gossips (<c>remctlPort</c>), and a member
/// without a remctl listener is skipped.
/// </summary>
internal sealed class ClusterNodes : INodeGroupSource
{
    public const string GroupName = "cluster";

    private readonly INodeGroupSource _inner;

    private ClusterNodes(INodeGroupSource inner, IReadOnlyList<Member> members, bool remctl)
    {
        _inner = inner;
        var live = new List<string>();
        var pins = new Dictionary<string, Fingerprint>(StringComparer.Ordinal);
        var gone = new List<(string, string)>();
        var skipped = new List<string>();
        foreach (var m in members)
        {
            string node = remctl && m.RemctlPort is { } port ? $"{Host(m.Address)}:{port}" : m.Address;
            if (m.Fingerprint is { } fp)
            {
                pins[node] = fp;
            }

            if (m.State is not ("alive" or "suspect"))
            {
                gone.Add((node, m.State));
            }
            else if (remctl && m.RemctlPort is null)
            {
                skipped.Add(node);
            }
            else
            {
                live.Add(node);
            }
        }

        Live = NodeSet.FromNodes(live);
        Known = NodeSet.FromNodes(live.Concat(gone.Select(g => g.Item1)).Concat(skipped));
        Pins = pins;
        Gone = gone;
        Skipped = skipped;
    }

    /// <summary>A member as <c>members --json</c> lists it.</summary>
    internal sealed record Member(string Address, string State, Fingerprint? Fingerprint, int? RemctlPort);

    /// <summary>The live members as nodes.</summary>
    public NodeSet Live { get; }

    /// <summary>Every member the gateway knows, live or not (to tell which of the others a node set asked for).</summary>
    public NodeSet Known { get; }

    /// <summary>The same groups, with <c>@cluster</c> standing for every known member.</summary>
    public INodeGroupSource WithEveryKnownMember() => new EveryKnown(this);

    /// <summary>Each member's fingerprint by node.</summary>
    public IReadOnlyDictionary<string, Fingerprint> Pins { get; }

    /// <summary>Members the gateway knows to be dead or gone, with their state.</summary>
    public IReadOnlyList<(string Node, string State)> Gone { get; }

    /// <summary>Live members left out: for remctl, those without a remctl listener.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>True when <paramref name="expression"/> names <c>@cluster</c>.</summary>
    public static bool IsUsedIn(string expression) =>
        System.Text.RegularExpressions.Regex.IsMatch(expression, @"(^|[,!&^\s])@cluster($|[,!&^\s])");

    /// <summary>Asks <paramref name="via"/> for its member list.</summary>
    /// <param name="remctl">Nodes are HOST:REMCTLPORT (remctl) rather than the members' addresses.</param>
    /// <exception cref="InvalidOperationException">The gateway could not be asked or refused (the message says why, in one line).</exception>
    public static async Task<ClusterNodes> LoadAsync(INodeGroupSource inner, string via, ClientOptions options, bool remctl, CancellationToken cancellationToken)
    {
        CallResult result;
        try
        {
            await using var client = new GatehouseClient(Endpoint.Parse(via), options);
            result = await client.CallAsync(new CallRequest("members", ["--json"]) { Domain = RequestHeader.ControlDomain }, cancellationToken);
        }
        catch (ConnectException ex)
        {
            throw new InvalidOperationException($"@cluster: cannot ask {via} for its members: {ex.Message}", ex);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"@cluster: --via {via}: {ex.Message}", ex);
        }

        if (!result.Status.IsSuccess)
        {
            throw new InvalidOperationException($"@cluster: {via} refused 'members': {result.Status.Message}");
        }

        return From(inner, Parse(result.Stdout, via), remctl);
    }

    /// <summary>The nodes of a member list (for call, or for remctl).</summary>
    internal static ClusterNodes From(INodeGroupSource inner, IReadOnlyList<Member> members, bool remctl) => new(inner, members, remctl);

    /// <summary>Reads the member list of <c>members --json</c>.</summary>
    /// <exception cref="InvalidOperationException">It is not a member list.</exception>
    internal static List<Member> Parse(ReadOnlyMemory<byte> json, string via)
    {
        var members = new List<Member>();
        try
        {
            using var doc = JsonDocument.Parse(json);
            foreach (var member in doc.RootElement.EnumerateArray())
            {
                string address = member.GetProperty("address").GetString()!;
                string state = member.GetProperty("state").GetString()!;
                Fingerprint? fp = Fingerprint.TryParse(member.GetProperty("fingerprint").GetString(), out var f) ? f : null;
                int? remctlPort = member.TryGetProperty("remctlPort", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;
                members.Add(new Member(address, state, fp, remctlPort));
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new InvalidOperationException($"@cluster: {via} answered 'members' with something that is not a member list", ex);
        }

        return members;
    }

    /// <summary>The host part of ADDRESS:PORT.</summary>
    private static string Host(string address)
    {
        int colon = address.LastIndexOf(':');
        return colon > 0 ? address[..colon] : address;
    }

    private sealed class EveryKnown(ClusterNodes cluster) : INodeGroupSource
    {
        public bool TryGetGroup(string name, [NotNullWhen(true)] out NodeSet? nodes)
        {
            if (cluster.TryGetGroup(name, out nodes) && name == GroupName && ReferenceEquals(nodes, cluster.Live))
            {
                nodes = cluster.Known;
            }

            return nodes is not null;
        }
    }

    public bool TryGetGroup(string name, [NotNullWhen(true)] out NodeSet? nodes)
    {
        if (_inner.TryGetGroup(name, out nodes))
        {
            return true; // a group file's own "cluster" wins
        }

        if (name == GroupName)
        {
            nodes = Live;
            return true;
        }

        return false;
    }
}
