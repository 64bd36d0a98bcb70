namespace Gatehouse.ZeroMq.Protocol;

/// <summary>
/// Caps a reply decoder enforces before it keeps anything: total bytes over all parts and number of
/// parts. Both are checked part by part, so a hostile reply fails at the first part over a limit.
/// </summary>
public sealed record ZeroMqReplyLimits
{
    /// <summary>Default <see cref="MaxBytes"/>: 16 MiB.</summary>
    public const long DefaultMaxBytes = 16L * 1024 * 1024;

    /// <summary>Default <see cref="MaxParts"/>: 65,536 (about 21,800 output chunks).</summary>
    public const int DefaultMaxParts = 65_536;

    /// <summary>The defaults: 16 MiB and 65,536 parts.</summary>
    public static ZeroMqReplyLimits Default { get; } = new();

    /// <summary>Maximum sum of the sizes of all parts, tags and numbers included. At least 1.</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>Maximum number of parts. At least 2 (the smallest valid reply is <c>R|0</c>).</summary>
    public int MaxParts { get; init; } = DefaultMaxParts;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a limit is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytes, 1L, nameof(MaxBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxParts, 2, nameof(MaxParts));
    }
}
