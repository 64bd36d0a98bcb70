using System.Globalization;
using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Routing;
using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Pipeline.Targets;

/// <summary>
/// The reserved domain <c>gatehouse</c> (docs/protocol.md section 6): registration for services,
/// <c>whoami</c> for anyone, and admin commands (<c>status</c>, <c>services</c>,
/// <c>connections</c>, <c>reload</c>) for admins only.
/// </summary>
internal sealed class ControlCommands
{
    private readonly GatewayRuntime _runtime;
    private readonly Membership.ClusterMembership? _membership;

    /// <param name="runtime">The gateway's state.</param>
    /// <param name="membership">Its cluster membership, whose members' routes <c>services</c> lists too; null: none.</param>
    public ControlCommands(GatewayRuntime runtime, Membership.ClusterMembership? membership = null)
    {
        _runtime = runtime;
        _membership = membership;
    }

    /// <summary>Runs a control command; returns its output (stdout) and status.</summary>
    public (string Output, CallStatus Status) Execute(PeerSession caller, RequestHeader request)
    {
        var args = request.Arguments.Select(a => Encoding.UTF8.GetString(a.Span)).ToArray();
        bool json = args.Contains("--json");
        return request.Command switch
        {
            "register" => Register(caller, args),
            "unregister" => Unregister(caller, args),
            "rotate-peer" => RotatePeer(caller, args),
            "whoami" => ($"{caller.Grant.Name} roles={caller.Grant.RolesText} fingerprint={caller.Fingerprint}\n", CallStatus.Exit(0)),
            "status" or "services" or "connections" or "reload" when !caller.Grant.Has(PeerRoles.Admin) =>
                (string.Empty, CallStatus.Error(ErrorCode.Access, $"Access denied: gatehouse {request.Command} needs the admin role; {caller.Grant.Name} has {caller.Grant.RolesText}")),
            "status" => (Status(json), CallStatus.Exit(0)),
            "services" => (Services(json), CallStatus.Exit(0)),
            "connections" => (Connections(json), CallStatus.Exit(0)),
            "reload" => Reload(),
            _ => (string.Empty, CallStatus.Error(ErrorCode.UnknownCommand, $"Unknown command: gatehouse {request.Command} (register, unregister, whoami, rotate-peer, status, services, connections, reload)")),
        };
    }

    private (string, CallStatus) Register(PeerSession caller, string[] args)
    {
        if (!caller.Grant.Has(PeerRoles.Service))
        {
            return (string.Empty, CallStatus.Error(ErrorCode.Access, $"Access denied: {caller.Grant.Name} does not have the service role"));
        }

        if (args.Length is < 2 or > 3 || (args.Length == 3 && !int.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            return (string.Empty, CallStatus.Error(ErrorCode.BadCommand, "Usage: gatehouse register DOMAIN COMMAND [CONCURRENCY]"));
        }

        string domain = args[0];
        string command = args[1];
        if (domain == RequestHeader.ControlDomain)
        {
            return (string.Empty, CallStatus.Error(ErrorCode.Access, "Access denied: the gatehouse domain is reserved"));
        }

        if (command.StartsWith('@') && command != LocatorAnswer.Command)
        {
            return (string.Empty, CallStatus.Error(ErrorCode.BadCommand, $"Commands starting with @ are the gateway's own; a service may register {LocatorAnswer.Command} (to be the domain's locator), not {command}"));
        }

        if (!caller.Grant.AllowsDomain(domain))
        {
            return (string.Empty, CallStatus.Error(ErrorCode.Access, $"Access denied: {caller.Grant.Name} may not register domain '{domain}' (allowed: {string.Join(',', caller.Grant.Domains)})"));
        }

        int concurrency = args.Length == 3 ? Math.Max(1, int.Parse(args[2], CultureInfo.InvariantCulture)) : 64;
        _runtime.Routes.Register(caller.Endpoint, domain, command, concurrency);
        Log.ServiceRegistered(_runtime.Logger, caller.Describe(), domain, command, concurrency);
        return ($"registered {domain}/{command} concurrency={concurrency}\n", CallStatus.Exit(0));
    }

    /// <summary>
    /// <c>gatehouse rotate-peer STATEMENT</c>: the caller moves its own grant to its next key. The
    /// statement (base64, made by <c>gatehouse rotate-identity --peer</c>) must be signed by the key the
    /// caller connected with and by the next key; the grant keeps its name, roles and domains, and the
    /// old key is refused from then on (its connections are sent GOAWAY by the next sweep).
    /// </summary>
    private (string, CallStatus) RotatePeer(PeerSession caller, string[] args)
    {
        if (args.Length != 1)
        {
            return (string.Empty, CallStatus.Error(ErrorCode.BadCommand, "Usage: gatehouse rotate-peer STATEMENT (base64; gatehouse rotate-identity --peer makes it)"));
        }

        byte[] encoded;
        try
        {
            encoded = Convert.FromBase64String(args[0]);
        }
        catch (FormatException)
        {
            return (string.Empty, CallStatus.Error(ErrorCode.BadCommand, "rotate-peer: the statement is not base64"));
        }

        var statement = Transport.Security.SuccessorStatement.VerifyFrom(encoded, Transport.Security.SuccessorPurpose.Peer, caller.Fingerprint, out string? error);
        if (statement is null)
        {
            return (string.Empty, CallStatus.Error(ErrorCode.Access, "rotate-peer refused: " + error));
        }

        PeerGrant? moved;
        try
        {
            moved = AuthorizedPeers.Move(_runtime.Authorized.Path, caller.Fingerprint, statement.Next, DateTimeOffset.UtcNow);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (string.Empty, CallStatus.Error(ErrorCode.BackendFailed, "rotate-peer: grant not moved: " + ex.Message));
        }

        if (moved is null)
        {
            return (string.Empty, CallStatus.Error(ErrorCode.Access, $"rotate-peer refused: {caller.Fingerprint} has no line in {_runtime.Authorized.Path}"));
        }

        _runtime.Authorized.Reload();
        Log.PeerRotated(_runtime.Logger, caller.Describe(), moved.Name, caller.Fingerprint.ToString(), moved.Fingerprint.ToString());
        return ($"moved {moved.Name} from {caller.Fingerprint} to {moved.Fingerprint}\n", CallStatus.Exit(0));
    }

    private (string, CallStatus) Unregister(PeerSession caller, string[] args)
    {
        if (args.Length != 2)
        {
            return (string.Empty, CallStatus.Error(ErrorCode.BadCommand, "Usage: gatehouse unregister DOMAIN COMMAND"));
        }

        return _runtime.Routes.Unregister(caller.Endpoint, args[0], args[1])
            ? ($"unregistered {args[0]}/{args[1]}\n", CallStatus.Exit(0))
            : (string.Empty, CallStatus.Error(ErrorCode.UnknownCommand, $"{args[0]}/{args[1]} is not registered by this connection"));
    }

    private string Status(bool json)
    {
        var s = _runtime.GetStatus();
        if (json)
        {
            return JsonSerializer.Serialize(s, GatewayJson.Relaxed.GatewayStatus) + "\n";
        }

        return $"""
            gatehouse {s.Version}
            fingerprint  {s.Fingerprint}
            listening    {string.Join(", ", s.Listening)}
            uptime       {Uptime(s.UptimeSeconds)}
            connections  {s.Connections}
            routes       {s.Routes}
            requests     {s.Requests} total, {s.InFlight} in flight
            {(s.Registry is null ? "" : $"cluster      {s.Registry}\n")}
            """;
    }

    /// <summary>Uptime as people read it: <c>42 s</c>, <c>1 min 5 s</c>, <c>3 h 2 min</c>, <c>2 d 3 h</c>.</summary>
    internal static string Uptime(long seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return t.TotalMinutes < 1 ? $"{t.Seconds} s"
            : t.TotalHours < 1 ? $"{t.Minutes} min {t.Seconds} s"
            : t.TotalDays < 1 ? $"{t.Hours} h {t.Minutes} min"
            : $"{(int)t.TotalDays} d {t.Hours} h";
    }

    private string Services(bool json)
    {
        var routes = WithMembers(_runtime.Routes.Snapshot());
        if (json)
        {
            return JsonSerializer.Serialize(routes.ToList(), GatewayJson.Relaxed.ListRouteInfo) + "\n";
        }

        var sb = new StringBuilder();
        foreach (var route in routes)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{route.Domain}/{route.Command}  queued={route.Queued}\n");
            foreach (var b in route.Services)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  {b.Service}  concurrency={b.Concurrency} outstanding={b.Outstanding} served={b.Served}\n");
            }

            foreach (var m in route.Members ?? [])
            {
                sb.Append(CultureInfo.InvariantCulture, $"  on member {m.Address} {m.Host}  services={m.Services} concurrency={m.Concurrency}  {m.Fingerprint}\n");
            }
        }

        return sb.Length == 0 ? "no services registered\n" : sb.ToString();
    }

    /// <summary>Every route of the cluster: this gateway's, each with the live members also hosting it, then those only other members host.</summary>
    private List<RouteInfo> WithMembers(IReadOnlyList<RouteInfo> local)
    {
        if (_membership is null)
        {
            return [.. local];
        }

        var byRoute = new Dictionary<(string, string), List<RouteMemberInfo>>();
        var live = _membership.Members.Where(m => m.Id != _membership.Id && m.State is Gatehouse.Cluster.Membership.MemberState.Alive or Gatehouse.Cluster.Membership.MemberState.Suspect)
            .ToDictionary(m => m.Id, StringComparer.Ordinal);
        foreach (var (id, list) in _membership.RemoteRoutes.Snapshot)
        {
            if (!live.TryGetValue(id, out var member))
            {
                continue;
            }

            string? host = Membership.MemberMetadata.TryParse(member.Metadata.Span)?.Host;
            foreach (var r in list.Routes)
            {
                if (!byRoute.TryGetValue((r.Domain, r.Command), out var members))
                {
                    byRoute[(r.Domain, r.Command)] = members = [];
                }

                members.Add(new RouteMemberInfo(id, member.Address.ToString(), host, r.Services, r.Concurrency));
            }
        }

        var all = local.Select(r => r with { Members = byRoute.Remove((r.Domain, r.Command), out var m) ? Sorted(m) : null }).ToList();
        all.AddRange(byRoute.Select(kv => new RouteInfo(kv.Key.Item1, kv.Key.Item2, 0, [], Sorted(kv.Value))));
        return [.. all.OrderBy(r => r.Domain, StringComparer.Ordinal).ThenBy(r => r.Command, StringComparer.Ordinal)];

        static List<RouteMemberInfo> Sorted(List<RouteMemberInfo> m) => [.. m.OrderBy(x => x.Address, StringComparer.Ordinal)];
    }

    private string Connections(bool json)
    {
        var peers = _runtime.Sessions.Snapshot().Select(p => new ConnectionInfo(
            p.Id, p.Grant.Name, p.Grant.RolesText, p.RemoteEndPoint?.ToString() ?? string.Empty, p.Fingerprint.ToString(),
            p.ConnectedAt, p.Connection.OpenStreamCount, p.Requests)).ToList();
        if (json)
        {
            return JsonSerializer.Serialize(peers, GatewayJson.Relaxed.ListConnectionInfo) + "\n";
        }

        var sb = new StringBuilder();
        foreach (var p in peers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"#{p.Id} {p.Name} roles={p.Roles} {p.Remote} since {p.ConnectedAt:u} streams={p.OpenStreams} requests={p.Requests}\n");
        }

        return sb.ToString();
    }

    private (string, CallStatus) Reload()
    {
        var errors = _runtime.Reload();
        return errors.Count == 0
            ? ("reloaded\n", CallStatus.Exit(0))
            : (string.Empty, CallStatus.Error(ErrorCode.Internal, "Reload failed, previous configuration kept: " + string.Join("; ", errors)));
    }
}

/// <summary>One connection as <c>gatehouse connections --json</c> shows it.</summary>
public sealed record ConnectionInfo(long Id, string Name, string Roles, string Remote, string Fingerprint, DateTimeOffset ConnectedAt, int OpenStreams, long Requests);

/// <summary>What <c>gatehouse status --json</c> shows.</summary>
public sealed record GatewayStatus(string Version, string Fingerprint, IReadOnlyList<string> Listening, long UptimeSeconds, int Connections, int Routes, long Requests, long InFlight, string? Registry = null);

[System.Text.Json.Serialization.JsonSerializable(typeof(GatewayStatus))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<RouteInfo>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<ConnectionInfo>))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class GatewayJson : System.Text.Json.Serialization.JsonSerializerContext
{
    /// <summary>Like <see cref="Default"/> but without escaping '+' and non-ASCII: the output is for people and tools, never embedded in HTML.</summary>
    public static GatewayJson Relaxed { get; } = new(new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
