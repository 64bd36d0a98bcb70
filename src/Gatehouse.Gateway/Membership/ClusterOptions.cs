using Gatehouse.Cluster.Etcd;
using Gatehouse.Cluster.Membership;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Membership;

/// <summary>A member to join through: where it listens and the fingerprint it must present.</summary>
/// <param name="Endpoint">Its TCP (and UDP) address.</param>
/// <param name="Fingerprint">Its identity's fingerprint.</param>
public sealed record JoinTarget(Endpoint Endpoint, Fingerprint Fingerprint)
{
    /// <summary>Parses <c>HOST:PORT=SHA256:...</c> (the form <c>--join</c> takes).</summary>
    /// <exception cref="FormatException">Not of that form; the message says what is expected.</exception>
    public static JoinTarget Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1)
        {
            throw new FormatException($"'{Shorten(text)}': expected HOST:PORT=SHA256:... (the member's address and fingerprint, as its banner prints them)");
        }

        var endpoint = Endpoint.Parse(text[..eq]);
        if (!Fingerprint.TryParse(text[(eq + 1)..], out var fingerprint))
        {
            throw new FormatException($"'{Shorten(text)}': the part after '=' is not a fingerprint (SHA256:base64)");
        }

        return new JoinTarget(endpoint, fingerprint);
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";

    public override string ToString() => $"{Endpoint}={Fingerprint}";
}

/// <summary>
/// Cluster membership settings of a gateway. A gateway with none of them set still answers other
/// gateways that join it (if they are authorized in the <c>gateway</c> role), and sends nothing
/// while it is alone.
/// </summary>
public sealed record ClusterOptions
{
    /// <summary>
    /// Where members, route lists and grants are kept: built-in gossip (the default) or an etcd
    /// cluster (docs/cluster.md, "etcd registry"). With etcd, gossip is off.
    /// </summary>
    public ClusterRegistryKind Registry { get; init; } = ClusterRegistryKind.Gossip;

    /// <summary>
    /// How the etcd registry is reached (endpoints, prefix, lease, TLS, credentials). Used only when
    /// <see cref="Registry"/> is <see cref="ClusterRegistryKind.Etcd"/>; its single values are
    /// range-checked either way, the pairings (certificate and key, user and password) only with
    /// etcd. Default endpoint <see cref="DefaultEtcdEndpoint"/>.
    /// </summary>
    public EtcdRegistryOptions Etcd { get; init; } = new() { Endpoints = [DefaultEtcdEndpoint] };

    /// <summary>The etcd endpoint used when none is configured: etcd's own default client URL (as etcdctl's).</summary>
    public const string DefaultEtcdEndpoint = "http://127.0.0.1:2379";

    /// <summary>Members to join through at start (any one that answers is enough). Default none.</summary>
    public IReadOnlyList<JoinTarget> Join { get; init; } = [];

    /// <summary>
    /// The address other members reach this one at (UDP and TCP, the listen port). Default: the
    /// first listen address if it is a specific one, else this host's first non-loopback IPv4
    /// address (loopback if it has none).
    /// </summary>
    public string? Advertise { get; init; }

    /// <summary>SWIM and Lifeguard parameters (memberlist's LAN defaults).</summary>
    public SwimOptions Swim { get; init; } = SwimOptions.Default;

    /// <summary>Most bytes of member state accepted in one exchange over TLS. Default 4 MiB.</summary>
    public int MaxExchangeBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// How often this member replaces its datagram send key (the new key is handed to every member
    /// over TLS before it is used; the old one is accepted until the rotation after). Default 1 hour;
    /// <see cref="TimeSpan.Zero"/> never rotates.
    /// </summary>
    public TimeSpan KeyRotation { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How this gateway dials other members (Stalwart's RPC link parameters): connect timeout 1 s,
    /// at most 5 reconnection attempts after a failure, spaced by a truncated exponential, jittered
    /// backoff from 100 ms up to 3 min; after that no attempt until gossip reports the member alive
    /// again. Only <c>ConnectTimeout</c>, <c>MaxRetries</c>, <c>InitialBackoff</c> and <c>MaxBackoff</c> apply.
    /// </summary>
    public ConnectionOptions Links { get; init; } = ConnectionOptions.Default;

    /// <summary>A link to another member with no stream for this long is closed. Default 5 min.</summary>
    public TimeSpan LinkInactivityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>What to do with requests only other members serve, from clients that follow redirects: default forward.</summary>
    public RedirectPolicy Redirect { get; init; } = RedirectPolicy.Forward;

    /// <summary>Per-domain exceptions to <see cref="Redirect"/>.</summary>
    public IReadOnlyDictionary<string, RedirectPolicy> RedirectByDomain { get; init; } = new Dictionary<string, RedirectPolicy>(StringComparer.Ordinal);

    /// <summary>Announced input (metadata <c>GATEHOUSE_INPUT_BYTES</c>) from which <see cref="RedirectPolicy.RedirectLargeInput"/> redirects. Default 1 MiB.</summary>
    public long LargeInputBytes { get; init; } = 1024 * 1024;

    /// <summary>The policy for <paramref name="domain"/>.</summary>
    public RedirectPolicy RedirectFor(string domain) => RedirectByDomain.TryGetValue(domain, out var p) ? p : Redirect;

    /// <summary>Most bytes of one member's route list accepted (and served) over TLS. Default 4 MiB.</summary>
    public int MaxRouteListBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Most routes of other members held, all members together (past it, the lists that do not fit are not held and their members' routes are not known here). Default 100,000.</summary>
    public int MaxRemoteRoutes { get; init; } = 100_000;

    /// <summary>How this gateway asks locator services where a request's key lives (docs/cluster.md, "Locator services").</summary>
    public Pipeline.Locators.LocatorOptions Locators { get; init; } = Pipeline.Locators.LocatorOptions.Default;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a value out of its range.</summary>
    public ClusterOptions Validate()
    {
        ArgumentNullException.ThrowIfNull(Join, nameof(Join));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxExchangeBytes, 64 * 1024, nameof(MaxExchangeBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxExchangeBytes, 256 * 1024 * 1024, nameof(MaxExchangeBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRouteListBytes, 64 * 1024, nameof(MaxRouteListBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxRouteListBytes, 256 * 1024 * 1024, nameof(MaxRouteListBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRemoteRoutes, nameof(MaxRemoteRoutes));
        if (KeyRotation != TimeSpan.Zero && (KeyRotation < TimeSpan.FromSeconds(1) || KeyRotation > TimeSpan.FromDays(30)))
        {
            throw new ArgumentOutOfRangeException(nameof(KeyRotation), KeyRotation, "KeyRotation is 0 (never) or 1 s to 30 days");
        }

        ArgumentNullException.ThrowIfNull(Links, nameof(Links));
        ArgumentNullException.ThrowIfNull(RedirectByDomain, nameof(RedirectByDomain));
        ArgumentOutOfRangeException.ThrowIfNegative(LargeInputBytes, nameof(LargeInputBytes));
        Links.Validate(nameof(Links));
        ArgumentOutOfRangeException.ThrowIfLessThan(LinkInactivityTimeout, TimeSpan.FromSeconds(1), nameof(LinkInactivityTimeout));
        Swim.Validate();
        ArgumentNullException.ThrowIfNull(Locators, nameof(Locators));
        Locators.Validate();
        ValidateEtcd();
        return this;
    }

    /// <summary>
    /// Checks <see cref="Etcd"/>; a failure's parameter is <c>Etcd.NAME</c> so the configuration
    /// loader names <c>Cluster:Etcd:NAME</c>.
    /// </summary>
    private void ValidateEtcd()
    {
        ArgumentNullException.ThrowIfNull(Etcd, nameof(Etcd));
        if (!Enum.IsDefined(Registry))
        {
            throw new ArgumentOutOfRangeException(nameof(Registry), Registry, "Registry is gossip or etcd");
        }

        if (Registry == ClusterRegistryKind.Etcd)
        {
            // A pairing with one half missing names the half that was given (the one in the file).
            if ((Etcd.CertFile is null) != (Etcd.KeyFile is null))
            {
                throw new ArgumentException("CertFile and KeyFile go together (the client certificate and its key)", Etcd.CertFile is null ? "Etcd.KeyFile" : "Etcd.CertFile");
            }

            if ((Etcd.User is null) != (Etcd.Password is null))
            {
                throw new ArgumentException("User and Password go together", Etcd.User is null ? "Etcd.Password" : "Etcd.User");
            }
        }

        // With gossip only the single values are checked (a file may carry etcd settings ahead of a switch).
        var check = Registry == ClusterRegistryKind.Etcd ? Etcd : Etcd with { CertFile = null, KeyFile = null, User = null, Password = null };
        try
        {
            check.Validate();
        }
        catch (ArgumentException ex)
        {
            string name = ex.ParamName is null or "endpoint" ? nameof(EtcdRegistryOptions.Endpoints) : ex.ParamName;
            throw new ArgumentException(ex.Message, "Etcd." + name, ex);
        }
    }
}

/// <summary>Where a gateway keeps the cluster's members, route lists and grants.</summary>
public enum ClusterRegistryKind
{
    /// <summary>Built-in gossip (SWIM over UDP, state exchange over TLS): zero configuration.</summary>
    Gossip,

    /// <summary>An etcd cluster (<c>Cluster:Etcd:*</c>).</summary>
    Etcd,
}
