namespace Gatehouse.ZeroMq;

/// <summary>
/// One chunk of output from a ZeroMQ backend: the parts <c>OUTPUT|stream|data</c> of a reply.
/// </summary>
/// <param name="Stream">Output stream number, 1 to 255 (1 is stdout, 2 is stderr in remctl).</param>
/// <param name="Data">The output bytes exactly as the backend sent them (may be empty).</param>
public sealed record ZeroMqOutput(int Stream, ReadOnlyMemory<byte> Data);

/// <summary>
/// A decoded reply from a ZeroMQ backend: the output chunks in the order they were sent, then
/// exactly one final status, either <see cref="ReturnCode"/> or <see cref="ErrorCode"/>.
/// </summary>
public abstract record ZeroMqReply
{
    /// <summary>Output chunks in wire order; empty when the backend sent none.</summary>
    public required IReadOnlyList<ZeroMqOutput> Outputs { get; init; }

    /// <summary>The command finished with exit status <paramref name="Code"/> (<c>RETURNCODE|n</c> or <c>R|n</c>).</summary>
    /// <param name="Code">The exit status as sent; any 32-bit integer is accepted (remctl itself carries 0 to 255).</param>
    public sealed record ReturnCode(int Code) : ZeroMqReply;

    /// <summary>
    /// The backend refused or failed the command with a remctl protocol error (<c>ERRORCODE|n</c> or
    /// <c>E|n</c>); see <see cref="ZeroMqRemctlError"/> for the known values.
    /// </summary>
    /// <param name="Code">The remctl error code as sent, at least 1. Unknown values are passed through.</param>
    public sealed record ErrorCode(int Code) : ZeroMqReply
    {
        /// <summary>The code as a <see cref="ZeroMqRemctlError"/> when it is one remctl defines; otherwise <see langword="null"/>.</summary>
        public ZeroMqRemctlError? KnownError =>
            Enum.IsDefined(typeof(ZeroMqRemctlError), Code) ? (ZeroMqRemctlError)Code : null;
    }
}

/// <summary>
/// remctl's <c>MESSAGE_ERROR</c> codes (remctl protocol section 4.8), the values a backend may put
/// in <c>ERRORCODE</c>.
/// </summary>
public enum ZeroMqRemctlError
{
    /// <summary>ERROR_INTERNAL: internal server failure.</summary>
    Internal = 1,
    /// <summary>ERROR_BAD_TOKEN: invalid format in token.</summary>
    BadToken = 2,
    /// <summary>ERROR_UNKNOWN_MESSAGE: unknown message type.</summary>
    UnknownMessage = 3,
    /// <summary>ERROR_BAD_COMMAND: invalid command format in token.</summary>
    BadCommand = 4,
    /// <summary>ERROR_UNKNOWN_COMMAND: unknown command.</summary>
    UnknownCommand = 5,
    /// <summary>ERROR_ACCESS: access denied.</summary>
    AccessDenied = 6,
    /// <summary>ERROR_TOOMANY_ARGS: argument count exceeds server limit.</summary>
    TooManyArguments = 7,
    /// <summary>ERROR_TOOMUCH_DATA: argument size exceeds server limit.</summary>
    TooMuchData = 8,
    /// <summary>ERROR_UNEXPECTED_MESSAGE: message type not valid now.</summary>
    UnexpectedMessage = 9,
    /// <summary>ERROR_NO_HELP: no help defined for this command.</summary>
    NoHelp = 10,
}

/// <summary>Which spelling of the tags a request uses (seed 004 allows both).</summary>
public enum ZeroMqTagForm
{
    /// <summary><c>ARGUMENT</c> and <c>ENVIRONMENT</c> (the default; every seed-004 daemon must accept it).</summary>
    Long = 0,
    /// <summary><c>A</c> and <c>E</c>, for daemons known to accept the short forms.</summary>
    Short = 1,
}
