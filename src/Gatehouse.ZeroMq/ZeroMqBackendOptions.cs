using Gatehouse.ZeroMq.Protocol;

namespace Gatehouse.ZeroMq;

/// <summary>
/// Settings of a <see cref="ZeroMqBackend"/>. Immutable; every default is a safe limit. Call
/// <see cref="Validate"/> (the backend's constructor does) to reject out-of-range values.
/// </summary>
public sealed record ZeroMqBackendOptions
{
    /// <summary>Default <see cref="PoolSizePerEndpoint"/>: 8 REQ sockets.</summary>
    public const int DefaultPoolSizePerEndpoint = 8;

    /// <summary>Upper bound of <see cref="PoolSizePerEndpoint"/>: 1,024.</summary>
    public const int MaxPoolSizePerEndpoint = 1024;

    /// <summary>Default <see cref="MaxQueuedCallsPerEndpoint"/>: 1,024 calls.</summary>
    public const int DefaultMaxQueuedCallsPerEndpoint = 1024;

    /// <summary>The options with every default.</summary>
    public static ZeroMqBackendOptions Default { get; } = new();

    /// <summary>
    /// Most REQ sockets (so most calls in flight) per endpoint; default 8, 1 to 1,024. A REQ socket
    /// carries one request at a time, so this is the endpoint's concurrency. Sockets are created on
    /// demand and kept while healthy.
    /// </summary>
    public int PoolSizePerEndpoint { get; init; } = DefaultPoolSizePerEndpoint;

    /// <summary>
    /// Most calls that may wait for a free socket per endpoint before new calls are refused with
    /// <see cref="ZeroMqBackendBusyException"/>; default 1,024, 0 to refuse as soon as the pool is busy.
    /// </summary>
    public int MaxQueuedCallsPerEndpoint { get; init; } = DefaultMaxQueuedCallsPerEndpoint;

    /// <summary>
    /// Timeout of a call when <see cref="ZeroMqBackend.CallAsync"/> is given none; default 30 s. It
    /// covers waiting for a free socket and waiting for the reply. At most 24 hours.
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most bytes in a reply, all parts summed; default 16 MiB. Also the transport's per-part cap.</summary>
    public long MaxReplyBytes { get; init; } = ZeroMqReplyLimits.DefaultMaxBytes;

    /// <summary>Most parts in a reply; default 65,536.</summary>
    public int MaxReplyParts { get; init; } = ZeroMqReplyLimits.DefaultMaxParts;

    /// <summary>
    /// How long a healthy socket may keep trying to deliver unsent messages when the backend is
    /// disposed; default zero (drop them). Discarded sockets always use zero.
    /// </summary>
    public TimeSpan Linger { get; init; } = TimeSpan.Zero;

    /// <summary>Delay before a socket reconnects to a backend that went away; default 100 ms (libzmq's default).</summary>
    public TimeSpan ReconnectInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Tag spelling of requests; default <see cref="ZeroMqTagForm.Long"/>. Replies accept both forms always.</summary>
    public ZeroMqTagForm RequestTags { get; init; } = ZeroMqTagForm.Long;

    /// <summary>The reply limits these options imply.</summary>
    public ZeroMqReplyLimits ReplyLimits => new() { MaxBytes = MaxReplyBytes, MaxParts = MaxReplyParts };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(PoolSizePerEndpoint, 1, nameof(PoolSizePerEndpoint));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PoolSizePerEndpoint, MaxPoolSizePerEndpoint, nameof(PoolSizePerEndpoint));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedCallsPerEndpoint, 0, nameof(MaxQueuedCallsPerEndpoint));
        ValidateTimeout(CallTimeout, nameof(CallTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReplyBytes, 1L, nameof(MaxReplyBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReplyParts, 2, nameof(MaxReplyParts));
        ArgumentOutOfRangeException.ThrowIfLessThan(Linger, TimeSpan.Zero, nameof(Linger));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Linger, TimeSpan.FromMinutes(10), nameof(Linger));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectInterval, TimeSpan.FromMilliseconds(1), nameof(ReconnectInterval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ReconnectInterval, TimeSpan.FromMinutes(10), nameof(ReconnectInterval));
        if (!Enum.IsDefined(RequestTags))
        {
            throw new ArgumentOutOfRangeException(nameof(RequestTags), RequestTags, "Unknown tag form.");
        }
    }

    internal static void ValidateTimeout(TimeSpan timeout, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timeout, TimeSpan.FromHours(24), name);
    }
}
