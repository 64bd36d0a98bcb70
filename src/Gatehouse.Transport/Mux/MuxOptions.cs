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

    /// <summary>
    /// Most bytes of output this side queues for the peer, whatever windows the peer announced:
    /// DATA waits (as for credit) while this much is queued and not yet sent. A peer that sends
    /// requests without reading their replies stops being read once replies exceed this by
    /// <see cref="ControlOutputAllowance"/>.
    /// </summary>
    public int MaxBufferedOutput { get; init; } = 4 * 1024 * 1024;

    /// <summary>Queued control frames (statuses, pings) allowed above <see cref="MaxBufferedOutput"/> before reading pauses.</summary>
    public const int ControlOutputAllowance = 1024 * 1024;

    /// <summary>
    /// Most bytes of received stdin/output waiting for their consumer whose connection credit is
    /// returned at once; beyond it, connection credit comes back only as consumers take data, so a
    /// connection holds at most this plus the connection window, however many streams it opens.
    /// </summary>
    public int MaxBufferedInput { get; init; } = 4 * 1024 * 1024;

    /// <summary>A send that makes no progress for this long (the peer stopped reading) closes the connection; zero or negative: never.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A budget of queued output shared with other connections (the gateway's); null: only the per-connection cap.</summary>
    public BufferBudget? Budget { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values outside their allowed ranges.</summary>
    public MuxOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedOutput, 65_536, nameof(MaxBufferedOutput));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedInput, 0, nameof(MaxBufferedInput));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HelloTimeout, TimeSpan.Zero, nameof(HelloTimeout));
        return this;
    }

    /// <summary>A label for logs (peer address, principal).</summary>
    public string Name { get; init; } = "connection";
}
