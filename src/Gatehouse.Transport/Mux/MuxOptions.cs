using Gatehouse.Protocol;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// Behaviour of one multiplexed connection, whichever side dialed: every connection-level setting
/// lives here once (dialing and retrying are in <see cref="Connections.ConnectionOptions"/>).
/// Defaults are the documented safe limits; <see cref="Validate"/> (run by every
/// <see cref="MuxConnection"/>) enforces the allowed ranges.
/// </summary>
public sealed record MuxOptions
{
    /// <summary>Longest <see cref="HelloTimeout"/>: 5 minutes.</summary>
    public static readonly TimeSpan MaxHelloTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Longest <see cref="InactivityTimeout"/> and <see cref="WriteTimeout"/>: 2^31-1 ms (about 24.8 days).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>Smallest <see cref="MaxBufferedOutput"/>: 64 KiB.</summary>
    public const int MinBufferedOutput = 64 * 1024;

    /// <summary>Largest <see cref="MaxBufferedOutput"/> and <see cref="MaxBufferedInput"/>: 1 GiB.</summary>
    public const int MaxBufferLimit = 1024 * 1024 * 1024;

    /// <summary>
    /// The limits this side announces in its HELLO, keepalive interval included
    /// (<see cref="ProtocolSettings.KeepAliveIntervalMs"/>: this side pings after that long without
    /// reading anything, and the peer is dead when the ping is not answered as long again).
    /// </summary>
    public ProtocolSettings Settings { get; init; } = ProtocolSettings.Default;

    /// <summary>
    /// How long to wait for the peer's HELLO; 0 &lt; value ≤ 5 min. Default 10 s. A dialer bounds
    /// the HELLO by <see cref="Connections.ConnectionOptions.ConnectTimeout"/> instead (one deadline
    /// for TCP, TLS and HELLO).
    /// </summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Close the connection after this long with no open stream; zero or negative: never. At most 2^31-1 ms. Default 5 min.</summary>
    public TimeSpan InactivityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Call the connection's request handler (its constructor's <c>onRequest</c>) on the read loop
    /// itself instead of the thread pool. Only for a handler that never blocks and hands slow work to
    /// the pool itself (the gateway's dispatcher, which relays most requests without waiting).
    /// </summary>
    public bool DispatchInline { get; init; }

    /// <summary>
    /// Most bytes of output this side queues for the peer, whatever windows the peer announced:
    /// DATA waits (as for credit) while this much is queued and not yet sent. A peer that sends
    /// requests without reading their replies stops being read once replies exceed this by
    /// <see cref="ControlOutputAllowance"/>. 64 KiB .. 1 GiB; default 4 MiB.
    /// </summary>
    public int MaxBufferedOutput { get; init; } = 4 * 1024 * 1024;

    /// <summary>Queued control frames (statuses, pings) allowed above <see cref="MaxBufferedOutput"/> before reading pauses.</summary>
    public const int ControlOutputAllowance = 1024 * 1024;

    /// <summary>
    /// Most bytes of received stdin/output waiting for their consumer whose connection credit is
    /// returned at once; beyond it, connection credit comes back only as consumers take data, so a
    /// connection holds at most this plus the connection window, however many streams it opens.
    /// 0 .. 1 GiB; default 4 MiB.
    /// </summary>
    public int MaxBufferedInput { get; init; } = 4 * 1024 * 1024;

    /// <summary>A send that makes no progress for this long (the peer stopped reading) closes the connection; zero or negative: never. At most 2^31-1 ms. Default 60 s.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A budget of queued output shared with other connections (the gateway's); null: only the per-connection cap.</summary>
    public BufferBudget? Budget { get; init; }

    /// <summary>A label for logs (peer address, principal).</summary>
    public string Name { get; init; } = "connection";

    /// <summary>Checks every setting; returns this instance.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range (the message names it and the range).</exception>
    /// <exception cref="ArgumentNullException"><see cref="Settings"/> or <see cref="Name"/> is null.</exception>
    public MuxOptions Validate()
    {
        ArgumentNullException.ThrowIfNull(Settings, nameof(Settings));
        ArgumentNullException.ThrowIfNull(Name, nameof(Name));
        try
        {
            Settings.Validate();
        }
        catch (ProtocolException ex)
        {
            throw new ArgumentOutOfRangeException(nameof(Settings), ex.Message + " (allowed ranges: docs/protocol.md section 4)");
        }

        if (HelloTimeout <= TimeSpan.Zero || HelloTimeout > MaxHelloTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(HelloTimeout), HelloTimeout, $"HelloTimeout must be more than 0 and at most {MaxHelloTimeout}");
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(InactivityTimeout, MaxTimeout, nameof(InactivityTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WriteTimeout, MaxTimeout, nameof(WriteTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedOutput, MinBufferedOutput, nameof(MaxBufferedOutput));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBufferedOutput, MaxBufferLimit, nameof(MaxBufferedOutput));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxBufferedInput, nameof(MaxBufferedInput));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBufferedInput, MaxBufferLimit, nameof(MaxBufferedInput));
        return this;
    }
}
