namespace Gatehouse.ZeroMq.Protocol;

/// <summary>
/// The tag strings of seed 004. Requests: ARGUMENT (A), ENVIRONMENT (E). Replies: OUTPUT (O),
/// RETURNCODE (R), ERRORCODE (E). Note that <c>E</c> means ENVIRONMENT in a request and ERRORCODE
/// in a reply; the two never meet because each direction has its own decoder.
/// </summary>
internal static class WireTags
{
    public static ReadOnlySpan<byte> Argument => "ARGUMENT"u8;
    public static ReadOnlySpan<byte> ArgumentShort => "A"u8;
    public static ReadOnlySpan<byte> Environment => "ENVIRONMENT"u8;
    public static ReadOnlySpan<byte> EnvironmentShort => "E"u8;
    public static ReadOnlySpan<byte> Output => "OUTPUT"u8;
    public static ReadOnlySpan<byte> OutputShort => "O"u8;
    public static ReadOnlySpan<byte> ReturnCode => "RETURNCODE"u8;
    public static ReadOnlySpan<byte> ReturnCodeShort => "R"u8;
    public static ReadOnlySpan<byte> ErrorCode => "ERRORCODE"u8;
    public static ReadOnlySpan<byte> ErrorCodeShort => "E"u8;

    /// <summary>Largest output stream number: remctl's MESSAGE_OUTPUT carries the stream in one octet.</summary>
    public const int MaxStream = 255;
}
