using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;

namespace Gatehouse.Cli;

/// <summary>
/// How <c>gatehouse call</c> turns a result into its own exit status (docs/cli.md): a remote exit
/// status 0..255 is passed through; error statuses and local failures map to fixed codes.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Usage error (sysexits EX_USAGE).</summary>
    public const int Usage = 64;

    /// <summary>The gateway could not be reached or refused us (as ssh does).</summary>
    public const int ConnectionFailed = 255;

    /// <summary>The exit status for a final status.</summary>
    public static int For(CallStatus status)
    {
        if (status.Kind == StatusKind.Exit)
        {
            return status.Code is >= 0 and <= 255 ? status.Code : 1;
        }

        return status.ErrorCode switch
        {
            ErrorCode.Access => 77,
            ErrorCode.UnknownCommand => 127,
            ErrorCode.BadCommand or ErrorCode.TooManyArgs or ErrorCode.TooMuchData or ErrorCode.NoHelp => 64,
            ErrorCode.DeadlineExceeded or ErrorCode.Timeout => 124,
            ErrorCode.Cancelled => 130,
            ErrorCode.Unavailable or ErrorCode.Overloaded or ErrorCode.BackendFailed or ErrorCode.ShuttingDown or ErrorCode.RefusedStream => 69,
            _ => 70,
        };
    }

    /// <summary>The exit status for a connection failure.</summary>
    public static int For(ConnectException _) => ConnectionFailed;
}
