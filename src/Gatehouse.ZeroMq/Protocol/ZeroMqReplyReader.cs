using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.ZeroMq.Protocol;

/// <summary>
/// Incremental decoder for one seed-004 reply, fed one ZeroMQ part at a time so that limits are
/// checked before a part is kept. Pure: no I/O. Not thread-safe; use one reader per reply.
/// </summary>
/// <remarks>
/// <code>
/// reply  = *( OUTPUT | stream | data ) final
/// final  = RETURNCODE | code          ; short form R
///        / ERRORCODE  | code          ; short form E (in a reply E is ERRORCODE, never ENVIRONMENT)
/// OUTPUT = "OUTPUT" / "O"
/// stream = decimal ASCII 1..255       ; 1 stdout, 2 stderr
/// code   = decimal ASCII int32        ; ERRORCODE: 1 or more, remctl's MESSAGE_ERROR codes
/// </code>
/// Tags are case-sensitive. Output data is kept as the given memory, not copied: the caller must
/// not reuse a part's buffer while the reply is in use.
/// </remarks>
public sealed class ZeroMqReplyReader
{
    private enum State
    {
        Tag,
        Stream,
        Data,
        ReturnCode,
        ErrorCode,
        Done,
        Failed,
    }

    private readonly ZeroMqReplyLimits _limits;
    private readonly List<ZeroMqOutput> _outputs = [];
    private State _state;
    private int _stream;
    private ZeroMqReply? _reply;

    /// <summary>Creates a reader enforcing <paramref name="limits"/> (the defaults when null).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range.</exception>
    public ZeroMqReplyReader(ZeroMqReplyLimits? limits = null)
    {
        _limits = limits ?? ZeroMqReplyLimits.Default;
        _limits.Validate();
    }

    /// <summary>Number of parts added so far.</summary>
    public int PartCount { get; private set; }

    /// <summary>Sum of the sizes of the parts added so far.</summary>
    public long ByteCount { get; private set; }

    /// <summary>The first violation found, or <see langword="null"/> while the reply is well-formed so far.</summary>
    public ZeroMqProtocolError? Error { get; private set; }

    /// <summary>
    /// Adds the next part. Returns <see langword="false"/> once the reply is known to be malformed
    /// (then <see cref="Error"/> says why, and later parts are ignored); never throws for bad input.
    /// </summary>
    public bool Add(ReadOnlyMemory<byte> part)
    {
        if (_state == State.Failed)
        {
            return false;
        }

        var index = PartCount;
        if (index >= _limits.MaxParts)
        {
            return Fail(ZeroMqProtocolErrorKind.TooManyParts, index, $"reply has more than {_limits.MaxParts} parts");
        }

        if (part.Length > _limits.MaxBytes - ByteCount)
        {
            return Fail(ZeroMqProtocolErrorKind.TooLarge, index, $"reply is larger than {_limits.MaxBytes} bytes (part {index} has {part.Length} bytes after {ByteCount})");
        }

        PartCount++;
        ByteCount += part.Length;
        var span = part.Span;

        switch (_state)
        {
            case State.Tag:
                return ReadTag(span, index);
            case State.Stream:
                return ReadStream(span, index);
            case State.Data:
                _outputs.Add(new ZeroMqOutput(_stream, part));
                _state = State.Tag;
                return true;
            case State.ReturnCode:
                return ReadFinalCode(span, index, isError: false);
            case State.ErrorCode:
                return ReadFinalCode(span, index, isError: true);
            default:
                var final = _reply is ZeroMqReply.ErrorCode ? "ERRORCODE" : "RETURNCODE";
                return Fail(ZeroMqProtocolErrorKind.TrailingParts, index, $"part {index}: unexpected part {WireText.Describe(span)} after the final {final}");
        }
    }

    /// <summary>
    /// Ends the reply: returns <see langword="true"/> with the decoded reply when it was complete and
    /// well-formed, otherwise <see langword="false"/> with the violation.
    /// </summary>
    public bool TryComplete([NotNullWhen(true)] out ZeroMqReply? reply, [NotNullWhen(false)] out ZeroMqProtocolError? error)
    {
        if (_state == State.Tag)
        {
            Fail(
                ZeroMqProtocolErrorKind.MissingFinalCode,
                -1,
                PartCount == 0
                    ? "reply has no parts; expected at least RETURNCODE|n or ERRORCODE|n"
                    : $"reply ended after {_outputs.Count} OUTPUT chunk(s) without RETURNCODE or ERRORCODE");
        }
        else if (_state is State.Stream or State.Data or State.ReturnCode or State.ErrorCode)
        {
            var missing = _state switch
            {
                State.Stream => "the OUTPUT stream number",
                State.Data => "the OUTPUT data",
                State.ReturnCode => "the RETURNCODE value",
                _ => "the ERRORCODE value",
            };
            Fail(ZeroMqProtocolErrorKind.MissingPart, PartCount, $"reply ended after {PartCount} part(s); expected {missing}");
        }

        reply = _reply;
        error = Error;
        return _state == State.Done && reply is not null;
    }

    private bool ReadTag(ReadOnlySpan<byte> span, int index)
    {
        if (span.SequenceEqual(WireTags.Output) || span.SequenceEqual(WireTags.OutputShort))
        {
            _state = State.Stream;
        }
        else if (span.SequenceEqual(WireTags.ReturnCode) || span.SequenceEqual(WireTags.ReturnCodeShort))
        {
            _state = State.ReturnCode;
        }
        else if (span.SequenceEqual(WireTags.ErrorCode) || span.SequenceEqual(WireTags.ErrorCodeShort))
        {
            _state = State.ErrorCode;
        }
        else
        {
            return Fail(
                ZeroMqProtocolErrorKind.UnknownTag,
                index,
                $"part {index}: unknown tag {WireText.Describe(span)}; expected OUTPUT (O), RETURNCODE (R) or ERRORCODE (E)");
        }

        return true;
    }

    private bool ReadStream(ReadOnlySpan<byte> span, int index)
    {
        if (!TryReadNumber(span, index, "OUTPUT stream number", out var stream))
        {
            return false;
        }

        if (stream is < 1 or > WireTags.MaxStream)
        {
            return Fail(ZeroMqProtocolErrorKind.InvalidStream, index, $"part {index}: OUTPUT stream number {stream} is outside 1..{WireTags.MaxStream}");
        }

        _stream = stream;
        _state = State.Data;
        return true;
    }

    private bool ReadFinalCode(ReadOnlySpan<byte> span, int index, bool isError)
    {
        var what = isError ? "ERRORCODE value" : "RETURNCODE value";
        if (!TryReadNumber(span, index, what, out var code))
        {
            return false;
        }

        if (isError && code < 1)
        {
            return Fail(ZeroMqProtocolErrorKind.NumberOutOfRange, index, $"part {index}: ERRORCODE value {code} is below 1");
        }

        var outputs = _outputs.ToArray();
        _reply = isError
            ? new ZeroMqReply.ErrorCode(code) { Outputs = outputs }
            : new ZeroMqReply.ReturnCode(code) { Outputs = outputs };
        _state = State.Done;
        return true;
    }

    private bool TryReadNumber(ReadOnlySpan<byte> span, int index, string what, out int value)
    {
        switch (DecimalAscii.TryParseInt32(span, out value))
        {
            case DecimalAscii.ParseResult.Ok:
                return true;
            case DecimalAscii.ParseResult.OutOfRange:
                return Fail(ZeroMqProtocolErrorKind.NumberOutOfRange, index, $"part {index}: {what} {WireText.Describe(span)} does not fit in 32 bits");
            default:
                return Fail(ZeroMqProtocolErrorKind.InvalidNumber, index, $"part {index}: {what} {WireText.Describe(span)} is not a decimal integer");
        }
    }

    private bool Fail(ZeroMqProtocolErrorKind kind, int index, string message)
    {
        Error ??= new ZeroMqProtocolError(kind, index, message);
        _state = State.Failed;
        _reply = null;
        return false;
    }
}
