namespace Gatehouse.ZeroMq.Protocol;

/// <summary>What kind of protocol violation a malformed reply contains.</summary>
public enum ZeroMqProtocolErrorKind
{
    /// <summary>A part where a tag was expected is none of OUTPUT/O, RETURNCODE/R, ERRORCODE/E.</summary>
    UnknownTag,
    /// <summary>The reply ended inside an OUTPUT triple or right after a final tag.</summary>
    MissingPart,
    /// <summary>A number part is not a decimal ASCII integer (empty, sign other than a leading '-', space, other bytes).</summary>
    InvalidNumber,
    /// <summary>A number does not fit in 32 bits, or an error code is below 1.</summary>
    NumberOutOfRange,
    /// <summary>An OUTPUT stream number is below 1 or above 255.</summary>
    InvalidStream,
    /// <summary>Parts follow the final RETURNCODE or ERRORCODE.</summary>
    TrailingParts,
    /// <summary>The reply ended (or was empty) without a RETURNCODE or ERRORCODE.</summary>
    MissingFinalCode,
    /// <summary>The reply has more parts than <see cref="ZeroMqReplyLimits.MaxParts"/>.</summary>
    TooManyParts,
    /// <summary>The reply's parts add up to more than <see cref="ZeroMqReplyLimits.MaxBytes"/>.</summary>
    TooLarge,
}

/// <summary>
/// A protocol violation found while decoding a reply: its kind, the zero-based index of the
/// offending part (-1 when no single part is to blame) and a message fit for a log.
/// </summary>
/// <param name="Kind">What was wrong.</param>
/// <param name="PartIndex">Zero-based index of the part at fault, or -1.</param>
/// <param name="Message">Human-readable description; peer bytes in it are escaped and truncated.</param>
public sealed record ZeroMqProtocolError(ZeroMqProtocolErrorKind Kind, int PartIndex, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => Message;
}
