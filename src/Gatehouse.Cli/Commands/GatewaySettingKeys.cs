using Gatehouse.Gateway;
using Gatehouse.Gateway.Membership;
using Microsoft.Extensions.Logging;
using static Gatehouse.Cli.Commands.SettingValues;

namespace Gatehouse.Cli.Commands;

/// <summary>The shape of a setting's value in a configuration source.</summary>
internal enum SettingShape
{
    /// <summary>One value.</summary>
    Scalar,

    /// <summary>A JSON array (<c>KEY:0</c>, <c>KEY:1</c>, ...), or one string of comma-separated items.</summary>
    List,

    /// <summary>A JSON object of name to value (<c>KEY:NAME</c>); sources add to each other, name by name.</summary>
    Map,
}

/// <summary>A setting's value as found, with the directory relative paths are taken from.</summary>
internal sealed record SettingInput(string Scalar, IReadOnlyList<string> Items, IReadOnlyDictionary<string, string> Map, string BaseDirectory)
{
    public string FullPath(string path) => Path.GetFullPath(path, BaseDirectory);
}

/// <summary>
/// One configuration key of <c>gatehouse gateway</c>: its path (<c>Limits:MaxExecProcesses</c>),
/// what it means, an example value other than the default (the tests set every key to it), whether a
/// reload applies it live, how to show its effective value and how to apply a value.
/// </summary>
internal sealed record SettingKey(string Path, SettingShape Shape, string Description, string Example, bool Live = false)
{
    public required Func<GatewaySettings, string> Show { get; init; }

    /// <summary>Applies a value; throws <see cref="FormatException"/> or <see cref="ArgumentException"/> when it is bad.</summary>
    public required Func<GatewaySettings, SettingInput, GatewaySettings> Apply { get; init; }
}

/// <summary>
/// Every key of the gateway's configuration (docs/operations.md has the same table). Each key maps
/// to one property of <see cref="GatewayOptions"/> (or of its nested records), or to the logging.
/// </summary>
internal static class GatewaySettingKeys
{
    public const string Unset = "-";

    /// <summary>What is shown in place of a secret that is set (the etcd password).</summary>
    public const string Hidden = "********";

    public static IReadOnlyList<SettingKey> All { get; } = Build();

    private static readonly Dictionary<string, SettingKey> ByPath = All.ToDictionary(k => k.Path, StringComparer.OrdinalIgnoreCase);

    public static SettingKey? Find(string path) => ByPath.GetValueOrDefault(path);

    private static List<SettingKey> Build() =>
    [
        // Listeners and files.
        new("Listen", SettingShape.List, "Addresses to listen on (TCP; UDP for cluster membership on the same ports): ADDR:PORT, *:PORT for every address, [v6]:PORT", "127.0.0.1:7341, [::1]:7341")
        {
            Show = s => string.Join(", ", s.Gateway.Listen),
            Apply = (s, v) => G(s, o => o with { Listen = v.Items.Count > 0 ? [.. v.Items.Select(CheckListen)] : throw new FormatException("needs at least one address") }),
        },
        Text("StateDirectory", "Identity and authorized_peers (default $GATEHOUSE_STATE_DIR, /var/lib/gatehouse as root, else ~/.local/state/gatehouse)", "/srv/gatehouse",
            o => o.StateDirectory, (o, v, i) => o with { StateDirectory = i.FullPath(v) }),
        Text("AuthorizedFile", "The authorized peers file (default: authorized_peers in the state directory)", "/etc/gatehouse/authorized_peers",
            o => o.AuthorizedFile, (o, v, i) => o with { AuthorizedFile = v.Length == 0 ? null : i.FullPath(v) }),
        Text("CommandsFile", "A remctl.conf whose commands (exec, type=zeromq) are served in the default domain; none by default", "/etc/gatehouse/remctl.conf",
            o => o.CommandsFile, (o, v, i) => o with { CommandsFile = v.Length == 0 ? null : i.FullPath(v) }),

        // Timeouts and queues.
        Duration("HandshakeTimeout", "TLS handshake plus HELLO must finish within this", "20s", o => o.HandshakeTimeout, (o, v) => o with { HandshakeTimeout = v }),
        Duration("InactivityTimeout", "A connection with no open request is closed after this (0: never)", "10m", o => o.InactivityTimeout, (o, v) => o with { InactivityTimeout = v }),
        Count("QueueLength", "Requests that may wait per route when every service is busy", "2048", o => o.QueueLength, (o, v) => o with { QueueLength = v }),
        Duration("QueueTimeout", "How long a request may wait for a free service", "45s", o => o.QueueTimeout, (o, v) => o with { QueueTimeout = v }),
        Duration("DrainTimeout", "On shutdown, open requests get this long to finish", "1m", o => o.DrainTimeout, (o, v) => o with { DrainTimeout = v }),
        new("MaxConnections", SettingShape.Scalar, "Most connections at once, or unlimited", "5000")
        {
            Show = s => s.Gateway.MaxConnections is { } n ? FormatCount(n) : "unlimited",
            Apply = (s, v) => G(s, o => o with { MaxConnections = v.Scalar.Trim() is "unlimited" or "" ? null : ParseSize(v.Scalar, long.MaxValue) }),
        },
        Bool("ReleaseTlsBuffers", "Let OpenSSL free idle connections' TLS buffers (turn off only to compare)", "false", o => o.ReleaseTlsBuffers, (o, v) => o with { ReleaseTlsBuffers = v }),
        Size("ReceiveBlockSize", "Receive/decrypt buffer size, 4KiB..1MiB (0: Kestrel's pool)", "128KiB", o => o.ReceiveBlockSize, (o, v) => o with { ReceiveBlockSize = v }),

        // The remctl (Kerberos) port.
        Text("RemctlListen", "Serve stock remctl clients (Kerberos) on ADDR:PORT, e.g. *:4373; off by default", "*:4373",
            o => o.RemctlListen, (o, v, _) => o with { RemctlListen = v.Length == 0 ? null : GatewayCommand.ListenAddress(v) }),
        Text("RemctlKeytab", "Keytab for the remctl port (default: the Kerberos default, /etc/krb5.keytab)", "/etc/gatehouse/remctl.keytab",
            o => o.RemctlKeytab, (o, v, i) => o with { RemctlKeytab = v.Length == 0 ? null : i.FullPath(v) }),
        Text("RemctlPrincipal", "Acceptor principal for the remctl port (default: any in the keytab)", "host/gw1.example.org@EXAMPLE.ORG",
            o => o.RemctlPrincipal, (o, v, _) => o with { RemctlPrincipal = v.Length == 0 ? null : v }),
        Bool("RemctlProtocolV1", "Serve legacy remctl protocol v1 clients (one command per connection, output cut at 65528 bytes), as remctld does", "false",
            o => o.RemctlProtocolV1, (o, v) => o with { RemctlProtocolV1 = v }),
        Text("RemctlServiceAcl", "remctl ACL (space-separated entries) for reaching registered services over the remctl port", "princ:ops@EXAMPLE.ORG",
            o => o.RemctlServiceAcl, (o, v, _) => o with { RemctlServiceAcl = v }),
        Bool("ResolveRemoteHost", "Look up callers' host names for REMOTE_HOST, as remctld does", "false", o => o.ResolveRemoteHost, (o, v) => o with { ResolveRemoteHost = v }),
        Duration("RemoteHostTimeout", "Longest wait for a caller's host name (1ms..30s); past it the command runs without REMOTE_HOST", "200ms", o => o.RemoteHostTimeout, (o, v) => o with { RemoteHostTimeout = v }),

        // Diagnostics and audit (docs/operations.md, "Metrics and health", "Audit trail").
        Text("DiagnosticsListen", "HTTP listener for /metrics (Prometheus), /healthz and /readyz: ADDR:PORT on loopback; off by default", "127.0.0.1:9340",
            o => o.DiagnosticsListen, (o, v, _) => o with { DiagnosticsListen = v.Length == 0 ? null : GatewayCommand.ListenAddress(v) }),
        Bool("DiagnosticsAnyAddress", "Allow DiagnosticsListen on a non-loopback address (anyone who can connect reads the metrics)", "true", o => o.DiagnosticsAnyAddress, (o, v) => o with { DiagnosticsAnyAddress = v }),
        new("Audit:Destination", SettingShape.Scalar, "Where a record of every request goes: off, log (the gateway's log, category Gatehouse.Audit) or file (Audit:Path, JSON lines)", "log")
        {
            Show = s => s.Gateway.Audit.Destination.ToString().ToLowerInvariant(),
            Apply = (s, v) => G(s, o => o with { Audit = o.Audit with { Destination = ParseEnum<Gatehouse.Gateway.Audit.AuditDestination>(v.Scalar) } }),
        },
        Text("Audit:Path", "The audit file for Audit:Destination file (appended; reopened on reload for log rotation)", "/var/log/gatehouse/audit.jsonl",
            o => o.Audit.Path, (o, v, i) => o with { Audit = o.Audit with { Path = v.Length == 0 ? null : i.FullPath(v) } }),
        Count("Audit:QueueLength", "Audit records waiting to be written; past it records are dropped and counted (16..10000000)", "100000", o => o.Audit.QueueLength, (o, v) => o with { Audit = o.Audit with { QueueLength = v } }),
        Count("Audit:MaxCommandLength", "Longest command line in an audit record; longer ones are cut and end with ... (64..1048576)", "1024", o => o.Audit.MaxCommandLength, (o, v) => o with { Audit = o.Audit with { MaxCommandLength = v } }),

        // Protocol limits announced to every peer.
        Size("Protocol:MaxFrameSize", "Largest frame accepted (16KiB..16MiB-1)", "128KiB", o => o.Protocol.MaxFrameSize, (o, v) => o with { Protocol = o.Protocol with { MaxFrameSize = v } }),
        Size("Protocol:InitialStreamWindow", "Initial flow-control window of each stream", "2MiB", o => o.Protocol.InitialStreamWindow, (o, v) => o with { Protocol = o.Protocol with { InitialStreamWindow = v } }),
        Size("Protocol:ConnectionWindow", "Flow-control window of each connection (at least 64KiB)", "32MiB", o => o.Protocol.ConnectionWindow, (o, v) => o with { Protocol = o.Protocol with { ConnectionWindow = v } }),
        Count("Protocol:MaxConcurrentStreams", "Requests open at once on one connection", "2048", o => o.Protocol.MaxConcurrentStreams, (o, v) => o with { Protocol = o.Protocol with { MaxConcurrentStreams = v } }),
        Size("Protocol:MaxHeaderSize", "Largest request header (1KiB..16MiB-1)", "2MiB", o => o.Protocol.MaxHeaderSize, (o, v) => o with { Protocol = o.Protocol with { MaxHeaderSize = v } }),
        Count("Protocol:MaxArguments", "Most arguments in one request", "1024", o => o.Protocol.MaxArguments, (o, v) => o with { Protocol = o.Protocol with { MaxArguments = v } }),
        Count("Protocol:KeepAliveIntervalMs", "Keep-alive PING interval in milliseconds (0: none)", "15000", o => o.Protocol.KeepAliveIntervalMs, (o, v) => o with { Protocol = o.Protocol with { KeepAliveIntervalMs = v } }),

        // Limits (docs/security.md).
        Size("Limits:MaxBufferedOutputPerConnection", "Output queued for one connection before DATA waits (at least 64KiB)", "8MiB", o => o.Limits.MaxBufferedOutputPerConnection, (o, v) => o with { Limits = o.Limits with { MaxBufferedOutputPerConnection = v } }),
        Size("Limits:MaxBufferedInputPerConnection", "Received stdin waiting per connection before credit is withheld", "8MiB", o => o.Limits.MaxBufferedInputPerConnection, (o, v) => o with { Limits = o.Limits with { MaxBufferedInputPerConnection = v } }),
        LongSize("Limits:OutputBudget", "Output queued for all connections together", "512MiB", o => o.Limits.OutputBudget, (o, v) => o with { Limits = o.Limits with { OutputBudget = v } }),
        Duration("Limits:WriteTimeout", "A peer that reads nothing of its queued output for this long is disconnected", "2m", o => o.Limits.WriteTimeout, (o, v) => o with { Limits = o.Limits with { WriteTimeout = v } }),
        Count("Limits:MaxExecProcesses", "Exec processes running at once (0: no limit)", "256", o => o.Limits.MaxExecProcesses, (o, v) => o with { Limits = o.Limits with { MaxExecProcesses = v } }),
        Count("Limits:MaxExecProcessesPerPrincipal", "Exec processes at once for one principal (0: no limit)", "32", o => o.Limits.MaxExecProcessesPerPrincipal, (o, v) => o with { Limits = o.Limits with { MaxExecProcessesPerPrincipal = v } }),
        Count("Limits:MaxRequestsPerPrincipal", "Requests in progress at once for one principal (0: no limit)", "8192", o => o.Limits.MaxRequestsPerPrincipal, (o, v) => o with { Limits = o.Limits with { MaxRequestsPerPrincipal = v } }),
        Count("Limits:MaxConnectionsPerAddress", "Native connections at once from one IP address (0: no limit)", "1024", o => o.Limits.MaxConnectionsPerAddress, (o, v) => o with { Limits = o.Limits with { MaxConnectionsPerAddress = v } }),
        Count("Limits:MaxConnectionsPerPeer", "Authenticated connections at once with one fingerprint (0: no limit)", "128", o => o.Limits.MaxConnectionsPerPeer, (o, v) => o with { Limits = o.Limits with { MaxConnectionsPerPeer = v } }),

        // Cluster (docs/cluster.md).
        new("Cluster:Join", SettingShape.List, "Members to join through at start: HOST:PORT=SHA256:...", "10.0.0.2:7340=SHA256:iMimXDTc+UQZhMOnumipE6+fI5ISn3Ljb3aLpDOEilE")
        {
            Show = s => s.Gateway.Cluster.Join.Count == 0 ? Unset : string.Join(", ", s.Gateway.Cluster.Join),
            Apply = (s, v) => C(s, c => c with { Join = [.. v.Items.Select(JoinTarget.Parse)] }),
        },
        Text("Cluster:Advertise", "ADDR[:PORT] other members reach this gateway at (default: first specific listen address, else the host's first IPv4 address)", "10.0.0.1:7340",
            o => o.Cluster.Advertise, (o, v, _) => o with { Cluster = o.Cluster with { Advertise = v.Length == 0 ? null : v } }),
        new("Cluster:Redirect", SettingShape.Scalar, "Requests only another member serves, from clients that follow redirects: forward, redirect or large-input", "redirect")
        {
            Show = s => FormatPolicy(s.Gateway.Cluster.Redirect),
            Apply = (s, v) => C(s, c => c with { Redirect = RedirectPolicies.Parse(v.Scalar.Trim()) }),
        },
        new("Cluster:RedirectByDomain", SettingShape.Map, "Per-domain exceptions to Cluster:Redirect: DOMAIN to forward, redirect or large-input", "mail=large-input")
        {
            Show = s => s.Gateway.Cluster.RedirectByDomain.Count == 0 ? Unset : string.Join(", ", s.Gateway.Cluster.RedirectByDomain.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={FormatPolicy(p.Value)}")),
            Apply = (s, v) => C(s, c => c with { RedirectByDomain = v.Map.ToDictionary(p => p.Key, p => RedirectPolicies.Parse(p.Value.Trim()), StringComparer.Ordinal) }),
        },
        LongSize("Cluster:LargeInputBytes", "Announced input from which large-input redirects", "4MiB", o => o.Cluster.LargeInputBytes, (o, v) => o with { Cluster = o.Cluster with { LargeInputBytes = v } }),
        Size("Cluster:MaxExchangeBytes", "Most bytes of member state accepted in one exchange (64KiB..256MiB)", "8MiB", o => o.Cluster.MaxExchangeBytes, (o, v) => o with { Cluster = o.Cluster with { MaxExchangeBytes = v } }),
        Size("Cluster:MaxRouteListBytes", "Most bytes of one member's route list (64KiB..256MiB)", "8MiB", o => o.Cluster.MaxRouteListBytes, (o, v) => o with { Cluster = o.Cluster with { MaxRouteListBytes = v } }),
        Count("Cluster:MaxRemoteRoutes", "Most routes of other members held, all together", "50000", o => o.Cluster.MaxRemoteRoutes, (o, v) => o with { Cluster = o.Cluster with { MaxRemoteRoutes = v } }),
        Duration("Cluster:KeyRotation", "How often the datagram send key is replaced (0: never; 1s..30d)", "2h", o => o.Cluster.KeyRotation, (o, v) => o with { Cluster = o.Cluster with { KeyRotation = v } }),
        Duration("Cluster:LinkInactivityTimeout", "A link to another member with no stream for this long is closed", "10m", o => o.Cluster.LinkInactivityTimeout, (o, v) => o with { Cluster = o.Cluster with { LinkInactivityTimeout = v } }),
        Duration("Cluster:Links:ConnectTimeout", "Connect timeout when dialling another member", "2s", o => o.Cluster.Links.ConnectTimeout, (o, v) => o with { Cluster = o.Cluster with { Links = o.Cluster.Links with { ConnectTimeout = v } } }),
        Count("Cluster:Links:MaxRetries", "Reconnection attempts after a failure before waiting for gossip", "3", o => o.Cluster.Links.MaxRetries, (o, v) => o with { Cluster = o.Cluster with { Links = o.Cluster.Links with { MaxRetries = v } } }),
        Duration("Cluster:Links:InitialBackoff", "First reconnection backoff (jittered, doubling)", "200ms", o => o.Cluster.Links.InitialBackoff, (o, v) => o with { Cluster = o.Cluster with { Links = o.Cluster.Links with { InitialBackoff = v } } }),
        Duration("Cluster:Links:MaxBackoff", "Longest reconnection backoff", "1m", o => o.Cluster.Links.MaxBackoff, (o, v) => o with { Cluster = o.Cluster with { Links = o.Cluster.Links with { MaxBackoff = v } } }),
        Duration("Cluster:Locators:Timeout", "How long a locator service may take to answer (10ms..5m)", "1s", o => o.Cluster.Locators.Timeout, (o, v) => o with { Cluster = o.Cluster with { Locators = o.Cluster.Locators with { Timeout = v } } }),
        Duration("Cluster:Locators:DefaultTtl", "How long a locator answer without a TTL is cached", "2m", o => o.Cluster.Locators.DefaultTtl, (o, v) => o with { Cluster = o.Cluster with { Locators = o.Cluster.Locators with { DefaultTtl = v } } }),
        Duration("Cluster:Locators:FailureTtl", "How long a failed locator lookup is remembered", "10s", o => o.Cluster.Locators.FailureTtl, (o, v) => o with { Cluster = o.Cluster with { Locators = o.Cluster.Locators with { FailureTtl = v } } }),
        Count("Cluster:Locators:MaxCacheEntries", "Most cached locator answers", "20000", o => o.Cluster.Locators.MaxCacheEntries, (o, v) => o with { Cluster = o.Cluster with { Locators = o.Cluster.Locators with { MaxCacheEntries = v } } }),
        new("Cluster:Registry", SettingShape.Scalar, "Where members, routes and grants are kept: gossip (built in) or etcd (Cluster:Etcd:*; gossip is then off)", "etcd")
        {
            Show = s => s.Gateway.Cluster.Registry.ToString().ToLowerInvariant(),
            Apply = (s, v) => C(s, c => c with { Registry = ParseRegistry(v.Scalar) }),
        },
        new("Cluster:Etcd:Endpoints", SettingShape.List, "etcd client URLs, tried in turn: http(s)://HOST:PORT or HOST:PORT (https when Cluster:Etcd:CaFile is set)", "https://10.0.0.5:2379, https://10.0.0.6:2379")
        {
            Show = s => string.Join(", ", s.Gateway.Cluster.Etcd.Endpoints),
            Apply = (s, v) => C(s, c => c with { Etcd = c.Etcd with { Endpoints = v.Items.Count is > 0 and <= 32 ? [.. v.Items] : throw new FormatException("needs 1 to 32 etcd client URLs") } }),
        },
        Etcd("Prefix", "Root of Gatehouse's keys in etcd (starts with /)", "/sites/paris", e => e.Prefix, (e, v, _) => e with { Prefix = v }),
        Etcd("Cluster", "Cluster name under the prefix (several clusters can share one etcd)", "paris", e => e.Cluster, (e, v, _) => e with { Cluster = v }),
        Duration("Cluster:Etcd:LeaseTtl", "Lease of this gateway's member and route keys, renewed every third (2s..5m): a crashed gateway is gone this long after its last renewal", "15s", o => o.Cluster.Etcd.LeaseTtl, (o, v) => o with { Cluster = o.Cluster with { Etcd = o.Cluster.Etcd with { LeaseTtl = v } } }),
        Duration("Cluster:Etcd:OperationTimeout", "Most time one call to one etcd endpoint may take before the next is tried (100ms..60s)", "3s", o => o.Cluster.Etcd.OperationTimeout, (o, v) => o with { Cluster = o.Cluster with { Etcd = o.Cluster.Etcd with { OperationTimeout = v } } }),
        Duration("Cluster:Etcd:RetryInterval", "Wait between tries while etcd cannot be reached (100ms..60s)", "2s", o => o.Cluster.Etcd.RetryInterval, (o, v) => o with { Cluster = o.Cluster with { Etcd = o.Cluster.Etcd with { RetryInterval = v } } }),
        Duration("Cluster:Etcd:PublishDelay", "Changes of this gateway's record or routes within this time are written together (0..10s)", "50ms", o => o.Cluster.Etcd.PublishDelay, (o, v) => o with { Cluster = o.Cluster with { Etcd = o.Cluster.Etcd with { PublishDelay = v } } }),
        Etcd("CaFile", "PEM CA of the etcd members' certificates (TLS on; default for https: the system's roots)", "/etc/gatehouse/etcd-ca.pem", e => e.CaFile, (e, v, i) => e with { CaFile = v.Length == 0 ? null : i.FullPath(v) }),
        Etcd("CertFile", "PEM client certificate for etcd's --client-cert-auth (with Cluster:Etcd:KeyFile)", "/etc/gatehouse/etcd-client.pem", e => e.CertFile, (e, v, i) => e with { CertFile = v.Length == 0 ? null : i.FullPath(v) }),
        Etcd("KeyFile", "PEM private key of Cluster:Etcd:CertFile", "/etc/gatehouse/etcd-client.key", e => e.KeyFile, (e, v, i) => e with { KeyFile = v.Length == 0 ? null : i.FullPath(v) }),
        Etcd("User", "etcd user (with Cluster:Etcd:Password)", "gatehouse", e => e.User, (e, v, _) => e with { User = v.Length == 0 ? null : v }),
        new("Cluster:Etcd:Password", SettingShape.Scalar, "Password of Cluster:Etcd:User; never logged, shown as " + Hidden, Hidden)
        {
            Show = s => s.Gateway.Cluster.Etcd.Password is null ? Unset : Hidden,
            Apply = (s, v) => C(s, c => c with { Etcd = c.Etcd with { Password = v.Scalar.Length == 0 ? null : v.Scalar } }),
        },
        Swim("ProbeInterval", "SWIM probe interval (100ms..1m)", "2s", w => w.ProbeInterval, (w, v) => w with { ProbeInterval = Dur(v) }, isDuration: true),
        Swim("ProbeTimeout", "SWIM probe timeout, shorter than the interval (10ms..30s)", "800ms", w => w.ProbeTimeout, (w, v) => w with { ProbeTimeout = Dur(v) }, isDuration: true),
        Swim("IndirectChecks", "Members asked to probe indirectly (0..16)", "4", w => w.IndirectChecks, (w, v) => w with { IndirectChecks = ParseInt(v) }),
        Swim("SuspicionMult", "Suspicion timeout multiplier (1..64)", "5", w => w.SuspicionMult, (w, v) => w with { SuspicionMult = ParseInt(v) }),
        Swim("SuspicionMaxTimeoutMult", "Longest suspicion timeout, as a multiple of the shortest (1..100)", "8", w => w.SuspicionMaxTimeoutMult, (w, v) => w with { SuspicionMaxTimeoutMult = ParseInt(v) }),
        Swim("AwarenessMaxMultiplier", "Lifeguard awareness: most the probe interval is stretched (1..64)", "10", w => w.AwarenessMaxMultiplier, (w, v) => w with { AwarenessMaxMultiplier = ParseInt(v) }),
        Swim("GossipInterval", "Gossip interval (10ms..10s)", "300ms", w => w.GossipInterval, (w, v) => w with { GossipInterval = Dur(v) }, isDuration: true),
        Swim("GossipNodes", "Members gossiped to per interval (1..32)", "4", w => w.GossipNodes, (w, v) => w with { GossipNodes = ParseInt(v) }),
        Swim("RetransmitMult", "Gossip retransmission multiplier (1..32)", "5", w => w.RetransmitMult, (w, v) => w with { RetransmitMult = ParseInt(v) }),
        Swim("PushPullInterval", "Full state exchange interval over TLS (0: none; 1s..1h)", "1m", w => w.PushPullInterval, (w, v) => w with { PushPullInterval = Dur(v) }, isDuration: true),
        Swim("MaxConcurrentPushPulls", "Full state exchanges served at once (1..1024)", "64", w => w.MaxConcurrentPushPulls, (w, v) => w with { MaxConcurrentPushPulls = ParseInt(v) }),
        Swim("GossipToTheDeadTime", "How long dead members are still gossiped to (0..1h)", "1m", w => w.GossipToTheDeadTime, (w, v) => w with { GossipToTheDeadTime = Dur(v) }, isDuration: true),
        Swim("ReconnectInterval", "How often a dead member is tried again (0: never; 1s..1h)", "1m", w => w.ReconnectInterval, (w, v) => w with { ReconnectInterval = Dur(v) }, isDuration: true),
        Swim("DeadMemberRetention", "How long a dead member is remembered (1s..7d)", "2h", w => w.DeadMemberRetention, (w, v) => w with { DeadMemberRetention = Dur(v) }, isDuration: true),
        Swim("MaxDatagramSize", "Largest membership datagram sent (576..1200)", "1000", w => w.MaxDatagramSize, (w, v) => w with { MaxDatagramSize = ParseInt(v) }),
        Swim("MaxMetadataSize", "Largest member metadata", "512", w => w.MaxMetadataSize, (w, v) => w with { MaxMetadataSize = ParseInt(v) }),
        Swim("MaxMembers", "Most members known (2..100000)", "20000", w => w.MaxMembers, (w, v) => w with { MaxMembers = ParseInt(v) }),

        // Logging (the gatehouse process, not GatewayOptions).
        new("Logging:Level", SettingShape.Scalar, "Minimum log level: Trace, Debug, Information, Warning, Error, Critical, None", "Debug", Live: true)
        {
            Show = s => s.LogLevel.ToString(),
            Apply = (s, v) => s with { LogLevel = ParseEnum<LogLevel>(v.Scalar) },
        },
        new("Logging:Format", SettingShape.Scalar, "Console log format: text, json or systemd (journald priorities)", "json")
        {
            Show = s => s.LogFormat.ToString().ToLowerInvariant(),
            Apply = (s, v) => s with { LogFormat = ParseEnum<LogFormat>(v.Scalar) },
        },
    ];

    private static GatewaySettings G(GatewaySettings s, Func<GatewayOptions, GatewayOptions> f) => s with { Gateway = f(s.Gateway) };

    private static GatewaySettings C(GatewaySettings s, Func<ClusterOptions, ClusterOptions> f) => s with { Gateway = s.Gateway with { Cluster = f(s.Gateway.Cluster) } };

    /// <summary>A listen address: ADDR:PORT, *:PORT, [v6]:PORT, or a bare PORT (every address; it used to be read as an IPv4 address).</summary>
    private static string CheckListen(string address) => GatewayCommand.ListenAddress(address); // FormatException names the address

    private static TimeSpan Dur(string v) => ParseDuration(v);

    private static ClusterRegistryKind ParseRegistry(string text) => text.Trim().ToLowerInvariant() switch
    {
        "gossip" => ClusterRegistryKind.Gossip,
        "etcd" => ClusterRegistryKind.Etcd,
        _ => throw new FormatException($"'{text}' is not a registry: gossip or etcd"),
    };

    private static SettingKey Etcd(string name, string description, string example, Func<Gatehouse.Cluster.Etcd.EtcdRegistryOptions, string?> get, Func<Gatehouse.Cluster.Etcd.EtcdRegistryOptions, string, SettingInput, Gatehouse.Cluster.Etcd.EtcdRegistryOptions> set) =>
        new("Cluster:Etcd:" + name, SettingShape.Scalar, description, example)
        {
            Show = s => get(s.Gateway.Cluster.Etcd) ?? Unset,
            Apply = (s, v) => C(s, c => c with { Etcd = set(c.Etcd, v.Scalar.Trim(), v) }),
        };

    private static string FormatPolicy(RedirectPolicy p) => p switch
    {
        RedirectPolicy.Redirect => "redirect",
        RedirectPolicy.RedirectLargeInput => "large-input",
        _ => "forward",
    };

    private static SettingKey Text(string path, string description, string example, Func<GatewayOptions, string?> get, Func<GatewayOptions, string, SettingInput, GatewayOptions> set) =>
        new(path, SettingShape.Scalar, description, example)
        {
            Show = s => get(s.Gateway) ?? Unset,
            Apply = (s, v) => G(s, o => set(o, v.Scalar.Trim(), v)),
        };

    private static SettingKey Duration(string path, string description, string example, Func<GatewayOptions, TimeSpan> get, Func<GatewayOptions, TimeSpan, GatewayOptions> set) =>
        new(path, SettingShape.Scalar, description, example)
        {
            Show = s => FormatDuration(get(s.Gateway)),
            Apply = (s, v) => G(s, o => set(o, ParseDuration(v.Scalar))),
        };

    private static SettingKey Count(string path, string description, string example, Func<GatewayOptions, int> get, Func<GatewayOptions, int, GatewayOptions> set) =>
        new(path, SettingShape.Scalar, description, example)
        {
            Show = s => FormatCount(get(s.Gateway)),
            Apply = (s, v) => G(s, o => set(o, ParseInt(v.Scalar))),
        };

    private static SettingKey Size(string path, string description, string example, Func<GatewayOptions, int> get, Func<GatewayOptions, int, GatewayOptions> set) =>
        new(path, SettingShape.Scalar, description, example)
        {
            Show = s => FormatSize(get(s.Gateway)),
            Apply = (s, v) => G(s, o => set(o, ParseIntSize(v.Scalar))),
        };

    private static SettingKey LongSize(string path, string description, string example, Func<GatewayOptions, long> get, Func<GatewayOptions, long, GatewayOptions> set) =>
        new(path, SettingShape.Scalar, description, example)
        {
            Show = s => FormatSize(get(s.Gateway)),
            Apply = (s, v) => G(s, o => set(o, ParseSize(v.Scalar, long.MaxValue))),
        };

    private static SettingKey Bool(string path, string description, string example, Func<GatewayOptions, bool> get, Func<GatewayOptions, bool, GatewayOptions> set) =>
        new(path, SettingShape.Scalar, description, example)
        {
            Show = s => FormatBool(get(s.Gateway)),
            Apply = (s, v) => G(s, o => set(o, ParseBool(v.Scalar))),
        };

    private static SettingKey Swim<T>(string name, string description, string example, Func<Gatehouse.Cluster.Membership.SwimOptions, T> get, Func<Gatehouse.Cluster.Membership.SwimOptions, string, Gatehouse.Cluster.Membership.SwimOptions> set, bool isDuration = false)
        where T : notnull =>
        new("Cluster:Swim:" + name, SettingShape.Scalar, description, example)
        {
            Show = s => get(s.Gateway.Cluster.Swim) is var v && isDuration ? FormatDuration((TimeSpan)(object)v) : FormatCount(Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)),
            Apply = (s, v) => C(s, c => c with { Swim = set(c.Swim, v.Scalar) }),
        };
}
