using Gatehouse.Protocol;

namespace Gatehouse.Transport.Mux;

/// <summary>Behaviour of one multiplexed connection; defaults are the documented safe limits.</summary>
public sealed record MuxOptions
{
    /// <summary>The limits this side announces in its HELLO.</summary>
    public ProtocolSettings Settings { get; init; } = ProtocolSettings.Default;

    /// <summary>How long to wait for the peer's HELLO.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Close the connection after this long with no open stream; zero or negative: never.</summary>
    public TimeSpan InactivityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Call <see cref="MuxConnection.RequestReceived"/> on the read loop itself instead of the
    /// thread pool. Only for a handler that never blocks and hands slow work to the pool itself
    /// (the gateway's dispatcher, which relays most requests without waiting).
    /// </summary>
    public bool DispatchInline { get; init; }

    /// <summary>A label for logs (peer address, principal).</summary>
    public string Name { get; init; } = "connection";
}
