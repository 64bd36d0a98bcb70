namespace Gatehouse.Protocol;

/// <summary>
/// Error codes carried by STATUS, CANCEL and GOAWAY (docs/protocol.md section 5). 1..10 are
/// remctl's MESSAGE_ERROR codes, taken from <see cref="RemctlErrorCode"/> (their one definition);
/// 100 and above are Gatehouse's own.
/// </summary>
public enum ErrorCode
{
    NoError = 0,
    Internal = (int)RemctlErrorCode.Internal,
    BadToken = (int)RemctlErrorCode.BadToken,
    UnknownMessage = (int)RemctlErrorCode.UnknownMessage,
    BadCommand = (int)RemctlErrorCode.BadCommand,
    UnknownCommand = (int)RemctlErrorCode.UnknownCommand,
    Access = (int)RemctlErrorCode.Access,
    TooManyArgs = (int)RemctlErrorCode.TooManyArgs,
    TooMuchData = (int)RemctlErrorCode.TooMuchData,
    UnexpectedMessage = (int)RemctlErrorCode.UnexpectedMessage,
    NoHelp = (int)RemctlErrorCode.NoHelp,
    Cancelled = 100,
    DeadlineExceeded = 101,
    Unavailable = 102,
    Overloaded = 103,
    BackendFailed = 104,
    ProtocolError = 105,
    FlowControlError = 106,
    FrameSizeError = 107,
    RefusedStream = 108,
    UnauthorizedPeer = 109,
    ShuttingDown = 110,
    Timeout = 111,
    HandshakeTimeout = 112,
    IdleTimeout = 113,

    /// <summary>Not run here: send the request to the cluster member the message names (<see cref="SeeOtherHost"/>).</summary>
    SeeOtherHost = 114,
}

/// <summary>Human text for error codes.</summary>
public static class ErrorCodes
{
    /// <summary>Returns the short description of <paramref name="code"/> used when no message is given.</summary>
    public static string Describe(ErrorCode code) => code switch
    {
        ErrorCode.NoError => "no error",
        ErrorCode.Internal => "Internal failure",
        ErrorCode.BadToken => "Invalid format in token",
        ErrorCode.UnknownMessage => "Unknown message type",
        ErrorCode.BadCommand => "Invalid command format",
        ErrorCode.UnknownCommand => "Unknown command",
        ErrorCode.Access => "Access denied",
        ErrorCode.TooManyArgs => "Argument count exceeds server limit",
        ErrorCode.TooMuchData => "Argument size exceeds server limit",
        ErrorCode.UnexpectedMessage => "Message type not valid now",
        ErrorCode.NoHelp => "No help defined for this command",
        ErrorCode.Cancelled => "Cancelled",
        ErrorCode.DeadlineExceeded => "Deadline exceeded",
        ErrorCode.Unavailable => "No backend available",
        ErrorCode.Overloaded => "Every backend is at capacity",
        ErrorCode.BackendFailed => "Backend failed",
        ErrorCode.ProtocolError => "Protocol error",
        ErrorCode.FlowControlError => "Flow control error",
        ErrorCode.FrameSizeError => "Frame too large",
        ErrorCode.RefusedStream => "Too many concurrent requests",
        ErrorCode.UnauthorizedPeer => "Peer not authorized",
        ErrorCode.ShuttingDown => "Shutting down",
        ErrorCode.Timeout => "Command timed out",
        ErrorCode.HandshakeTimeout => "Handshake timed out",
        ErrorCode.IdleTimeout => "Idle timeout",
        ErrorCode.SeeOtherHost => "See other host",
        _ => "Error " + ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
