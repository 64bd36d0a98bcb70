using Gatehouse.Protocol;

namespace Gatehouse.Gateway;

/// <summary>
/// Gateway settings. Every default is usable as it is: a gateway started with <c>new GatewayOptions()</c>
/// listens on every address at port 7340 and keeps its state in the default state directory.
/// </summary>
public sealed record GatewayOptions
{
    /// <summary>Addresses to listen on (<c>ADDR:PORT</c>, <c>*:PORT</c> for every address, port 0 for any free port).</summary>
    public IReadOnlyList<string> Listen { get; init; } = ["*:7340"];

    /// <summary>Where the identity and the authorized file live.</summary>
    public string StateDirectory { get; init; } = DefaultStateDirectory();

    /// <summary>The authorized file; default <c>authorized_peers</c> in the state directory.</summary>
    public string? AuthorizedFile { get; init; }

    /// <summary>Limits announced to every peer.</summary>
    public ProtocolSettings Protocol { get; init; } = ProtocolSettings.Default;

    /// <summary>TLS handshake plus HELLO must finish within this. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections with no open request are closed after this. Default 5 min.</summary>
    public TimeSpan InactivityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Requests that may wait per route when every service is at capacity. Default 1,024.</summary>
    public int QueueLength { get; init; } = 1024;

    /// <summary>How long a request may wait for a free service. Default 30 s.</summary>
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>On shutdown, open requests get this long to finish. Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Lets OpenSSL free each connection's TLS record buffers (about 34 KiB) between records, so an
    /// idle connection costs a fraction of the memory; see <see cref="Gatehouse.Transport.Security.TlsBufferRelease"/>.
    /// Default true. Turn it off only to compare.
    /// </summary>
    public bool ReleaseTlsBuffers { get; init; } = true;

    /// <summary>
    /// Size of the buffers Kestrel receives into and the TLS layer decrypts into (one socket
    /// receive or TLS read fills at most one). Default 64 KiB; Kestrel's own is 4 KiB, which costs a
    /// large message about sixteen times the calls. 0 keeps Kestrel's pool. Idle connections hold none.
    /// </summary>
    public int ReceiveBlockSize { get; init; } = 64 * 1024;

    /// <summary>Per-peer, per-principal, per-address and gateway-wide limits on memory, processes, requests and connections.</summary>
    public GatewayLimits Limits { get; init; } = new();

    /// <summary>Most connections at once; null is unlimited. Default 100,000.</summary>
    public long? MaxConnections { get; init; } = 100_000;

    /// <summary>A remctl.conf whose commands this gateway serves in the default domain (exec and ZeroMQ); null for none.</summary>
    public string? CommandsFile { get; init; }

    /// <summary>
    /// Where the remctl-compatible (Kerberos) listener listens, e.g. <c>*:4373</c>; null (default) turns it off.
    /// It needs <see cref="RemctlKeytab"/> (or the Kerberos library's default keytab).
    /// </summary>
    public string? RemctlListen { get; init; }

    /// <summary>Keytab for the remctl listener (default: the Kerberos library's default, /etc/krb5.keytab).</summary>
    public string? RemctlKeytab { get; init; }

    /// <summary>Acceptor principal for the remctl listener (default: any principal in the keytab).</summary>
    public string? RemctlPrincipal { get; init; }

    /// <summary>
    /// Serve legacy remctl protocol version 1 clients on the remctl listener, as remctld does (default true):
    /// one command per connection, output merged and cut at 65528 bytes. False closes their connections.
    /// </summary>
    public bool RemctlProtocolV1 { get; init; } = true;

    /// <summary>
    /// Who may reach registered services through the remctl port, in remctl's ACL syntax (space
    /// separated entries). Default <c>anyuser:auth</c>: any authenticated principal; the service sees
    /// REMOTE_USER and decides. remctl.conf commands are governed by their own ACLs.
    /// </summary>
    public string RemctlServiceAcl { get; init; } = "anyuser:auth";

    /// <summary>
    /// Look up callers' host names (REMOTE_HOST for commands and services), as remctld does; true by
    /// default. Each lookup waits at most <see cref="RemoteHostTimeout"/>; names are cached.
    /// </summary>
    public bool ResolveRemoteHost { get; init; } = true;

    /// <summary>Longest wait for a caller's host name (0.5 s); past it the command runs without REMOTE_HOST.</summary>
    public TimeSpan RemoteHostTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The diagnostics listener (HTTP, no TLS): <c>/metrics</c> (Prometheus text format),
    /// <c>/healthz</c>, <c>/readyz</c>. Off (null) by default; must be a loopback address unless
    /// <see cref="DiagnosticsAnyAddress"/> is set.
    /// </summary>
    public string? DiagnosticsListen { get; init; }

    /// <summary>Allows <see cref="DiagnosticsListen"/> on a non-loopback address (metrics are readable by anyone who can connect).</summary>
    public bool DiagnosticsAnyAddress { get; init; }

    /// <summary>The audit trail: one record per request (off by default).</summary>
    public Audit.AuditOptions Audit { get; init; } = new();

    /// <summary>Longest <see cref="QueueTimeout"/> and <see cref="DrainTimeout"/> accepted (1 h).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromHours(1);

    /// <summary>Longest <see cref="HandshakeTimeout"/> accepted (5 min, the connection layer's cap).</summary>
    public static readonly TimeSpan MaxHandshake = TimeSpan.FromMinutes(5);

    /// <summary>Longest <see cref="InactivityTimeout"/> accepted (1 day).</summary>
    public static readonly TimeSpan MaxInactivity = TimeSpan.FromDays(1);

    /// <summary>Most requests one route may queue (<see cref="QueueLength"/>).</summary>
    public const int MaxQueueLength = 1_000_000;

    /// <summary>
    /// Checks every setting, including <see cref="Limits"/> and <see cref="Protocol"/>; throws
    /// <see cref="ArgumentOutOfRangeException"/> (or <see cref="ArgumentException"/>) naming the
    /// first one outside its range. The gateway calls it before it starts.
    /// </summary>
    public GatewayOptions Validate()
    {
        if (Listen.Count == 0)
        {
            throw new ArgumentException("At least one listen address is needed", nameof(Listen));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(StateDirectory, nameof(StateDirectory));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HandshakeTimeout, TimeSpan.Zero, nameof(HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HandshakeTimeout, MaxHandshake, nameof(HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(InactivityTimeout, TimeSpan.Zero, nameof(InactivityTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(InactivityTimeout, MaxInactivity, nameof(InactivityTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(QueueLength, nameof(QueueLength));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(QueueLength, MaxQueueLength, nameof(QueueLength));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(QueueTimeout, TimeSpan.Zero, nameof(QueueTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(QueueTimeout, MaxWait, nameof(QueueTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(DrainTimeout, TimeSpan.Zero, nameof(DrainTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DrainTimeout, MaxWait, nameof(DrainTimeout));
        if (ReceiveBlockSize != 0 && ReceiveBlockSize is < 4096 or > 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveBlockSize), ReceiveBlockSize, "ReceiveBlockSize must be 0 (Kestrel's pool) or 4 KiB..1 MiB");
        }

        if (MaxConnections is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "MaxConnections must be at least 1 (null: unlimited)");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(RemoteHostTimeout, TimeSpan.FromMilliseconds(1), nameof(RemoteHostTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RemoteHostTimeout, TimeSpan.FromSeconds(30), nameof(RemoteHostTimeout));
        Limits.Validate();
        Cluster.Validate();
        Audit.Validate();
        if (DiagnosticsListen is { } diagnostics)
        {
            var endpoint = Hosting.GatewayServer.ParseListen(diagnostics);
            if (!System.Net.IPAddress.IsLoopback(endpoint.Address) && !DiagnosticsAnyAddress)
            {
                throw new ArgumentException($"DiagnosticsListen {diagnostics} is not a loopback address (set DiagnosticsAnyAddress to allow it)", nameof(DiagnosticsListen));
            }
        }

        try
        {
            Protocol.Validate();
        }
        catch (ProtocolException ex)
        {
            throw new ArgumentOutOfRangeException(nameof(Protocol), ex.Message);
        }

        try
        {
            foreach (var entry in RemctlServiceAcl.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                Commands.Acl.AclParser.Parse(entry, Commands.Acl.AclMethod.Princ);
            }
        }
        catch (Exception ex) when (ex is Commands.Configuration.ConfigurationException or Commands.Acl.AclSyntaxException)
        {
            throw new ArgumentException($"RemctlServiceAcl: {ex.Message}", nameof(RemctlServiceAcl), ex);
        }

        return this;
    }

    /// <summary>
    /// Cluster membership: members to join, the advertised address, SWIM parameters. Default: join
    /// nobody (other gateways may still join this one; alone it sends nothing).
    /// </summary>
    public Membership.ClusterOptions Cluster { get; init; } = new();

    /// <summary>The authorized file's full path.</summary>
    public string AuthorizedPath => AuthorizedFile ?? Path.Combine(StateDirectory, "authorized_peers");

    /// <summary>When each peer was last connected (<c>peers_seen</c> in the state directory; <c>gatehouse peers</c> shows it).</summary>
    public string LastSeenPath => Path.Combine(StateDirectory, Authorization.PeerLastSeen.FileName);

    /// <summary>
    /// <c>$GATEHOUSE_STATE_DIR</c>, else <c>/var/lib/gatehouse</c> for root, else
    /// <c>$XDG_STATE_HOME/gatehouse</c> or <c>~/.local/state/gatehouse</c>.
    /// </summary>
    public static string DefaultStateDirectory()
    {
        string? env = Environment.GetEnvironmentVariable("GATEHOUSE_STATE_DIR");
        if (!string.IsNullOrEmpty(env))
        {
            return env;
        }

        if (!OperatingSystem.IsWindows() && Environment.UserName == "root")
        {
            return "/var/lib/gatehouse";
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "state") : xdg, "gatehouse");
    }
}
