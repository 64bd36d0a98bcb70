using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;

namespace Gatehouse.Cli;

/// <summary>
/// The exit statuses of <c>gatehouse</c> (docs/cli.md, "Exit status"): a remote exit status 0..255
/// is passed through; error statuses and local failures map to fixed codes.
/// </summary>
internal static class ExitCodes
{
    /// <summary>A command failed in a way its own message explains (e.g. a gateway that cannot start).</summary>
    public const int Failure = 1;

    /// <summary>Usage error: an unknown option, a bad value, a bad node set (sysexits EX_USAGE).</summary>
    public const int Usage = 64;

    /// <summary>Internal error: a bug; the message says so (sysexits EX_SOFTWARE).</summary>
    public const int Internal = 70;

    /// <summary>A local file is unusable: identity key readable by others, unreadable known_hosts or groups (sysexits EX_CONFIG).</summary>
    public const int LocalConfig = 78;

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT).</summary>
    public const int Interrupted = 130;

    /// <summary>The gateway could not be reached or refused us (as ssh does).</summary>
    public const int ConnectionFailed = 255;

    /// <summary>The exit status for a final status.</summary>
    public static int For(CallStatus status)
    {
        if (status.Kind == StatusKind.Exit)
        {
            return status.Code is >= 0 and <= 255 ? status.Code : 1;
        }

        return For(status.ErrorCode);
    }

    /// <summary>The exit status for an error code (remctl's 1..10 and Gatehouse's own).</summary>
    public static int For(ErrorCode code) => code switch
    {
        ErrorCode.Access => 77,
        ErrorCode.UnknownCommand => 127,
        ErrorCode.BadCommand or ErrorCode.TooManyArgs or ErrorCode.TooMuchData or ErrorCode.NoHelp => 64,
        ErrorCode.DeadlineExceeded or ErrorCode.Timeout => 124,
        ErrorCode.Cancelled => 130,
        ErrorCode.Unavailable or ErrorCode.Overloaded or ErrorCode.BackendFailed or ErrorCode.ShuttingDown or ErrorCode.RefusedStream => 69,
        _ => 70,
    };

    /// <summary>The exit status for a connection failure.</summary>
    public static int For(ConnectException _) => ConnectionFailed;
}
