using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Service;

/// <summary>A gateway to attach to, pinned by fingerprint.</summary>
public sealed record GatewayTarget(Endpoint Endpoint, Fingerprint Fingerprint);

/// <summary>How a service identifies itself and where it attaches.</summary>
public sealed record ServiceOptions
{
    /// <summary>The service's identity; the gateway must authorize it with the service role.</summary>
    public required PeerIdentity Identity { get; init; }

    /// <summary>Every gateway the service attaches to at once.</summary>
    public required IReadOnlyList<GatewayTarget> Gateways { get; init; }

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
}
