using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Service;

/// <summary>A gateway to attach to, pinned by fingerprint.</summary>
public sealed record GatewayTarget(Endpoint Endpoint, Fingerprint Fingerprint);

/// <summary>
/// How a service identifies itself and where it attaches. <see cref="Validate"/> (run by the
/// <see cref="GatehouseService"/> constructor) checks every setting.
/// </summary>
public sealed record ServiceOptions
{
    /// <summary>The service's identity; the gateway must authorize it with the service role.</summary>
    public required PeerIdentity Identity { get; init; }

    /// <summary>
    /// The configured gateways (the seeds): the service attaches to every one of them at once and
    /// never drops one. With <see cref="Discovery"/> on it also attaches to the other members of
    /// their cluster. At least one; no fingerprint twice.
    /// </summary>
    public required IReadOnlyList<GatewayTarget> Gateways { get; init; }

    /// <summary>
    /// Finding the other members of the gateways' cluster (on by default; <see cref="DiscoveryOptions.Off"/>
    /// attaches to <see cref="Gateways"/> only).
    /// </summary>
    public DiscoveryOptions Discovery { get; init; } = DiscoveryOptions.Default;

    /// <summary>
    /// Connect timeout and backoff. A service reconnects for as long as it runs (it does not give up after
    /// <see cref="ConnectionOptions.MaxRetries"/>); the delay grows to <see cref="ConnectionOptions.MaxBackoff"/>.
    /// </summary>
    public ConnectionOptions Connection { get; init; } = ConnectionOptions.Default with { MaxBackoff = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// Protocol limits this side announces and the connection's behaviour. By default no inactivity
    /// timeout: an attached service is idle by nature.
    /// </summary>
    public MuxOptions Mux { get; init; } = new() { InactivityTimeout = TimeSpan.Zero };

    /// <summary>Checks every setting; returns this instance.</summary>
    /// <exception cref="ArgumentException">No gateway, or one fingerprint listed twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range (the message names it and the range).</exception>
    public ServiceOptions Validate()
    {
        ArgumentNullException.ThrowIfNull(Identity, nameof(Identity));
        ArgumentNullException.ThrowIfNull(Gateways, nameof(Gateways));
        if (Gateways.Count == 0)
        {
            throw new ArgumentException("Gateways must list at least one gateway (HOST:PORT and fingerprint)", nameof(Gateways));
        }

        var seen = new HashSet<Fingerprint>();
        foreach (var gateway in Gateways)
        {
            ArgumentNullException.ThrowIfNull(gateway, nameof(Gateways));
            if (gateway.Fingerprint.IsEmpty)
            {
                throw new ArgumentException($"Gateways: {gateway.Endpoint} has no fingerprint to pin", nameof(Gateways));
            }

            if (!seen.Add(gateway.Fingerprint))
            {
                throw new ArgumentException($"Gateways lists {gateway.Fingerprint} twice (once is enough: a gateway is attached to once)", nameof(Gateways));
            }
        }

        Connection.Validate(nameof(Connection));
        Mux.Validate();
        Discovery.Validate(nameof(Discovery));
        return this;
    }
}
