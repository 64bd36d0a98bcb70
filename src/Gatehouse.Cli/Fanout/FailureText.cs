using System.Net.Sockets;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// Says why a node failed in words that do not name the node (the summary names it, folded with
/// every node that failed the same way), and says how many attempts were made.
/// </summary>
internal static class FailureText
{
    /// <summary>A connection failure after <paramref name="attempts"/> attempts.</summary>
    public static string Of(ConnectException ex, Endpoint endpoint, int attempts)
    {
        string text = ex.Failure switch
        {
            ConnectFailure.Refused => "connection refused",
            ConnectFailure.Unresolved => "host name not found",
            ConnectFailure.NotTrusted => "no fingerprint is pinned (run 'gatehouse trust' for it, or pass --fingerprint)",
            ConnectFailure.FingerprintMismatch => $"FINGERPRINT CHANGED: presented {ex.Presented}, which is not the pinned fingerprint; nothing was sent",
            ConnectFailure.Tls => "not a Gatehouse gateway, or not TLS (TLS handshake failed: " + Trim(ex.InnerException?.Message ?? ex.Message, endpoint) + ")",
            // The peer accepted the TCP connection, then closed or reset it before TLS was set up.
            ConnectFailure.Network when ex.InnerException is IOException io => "connection closed during the TLS handshake: not a Gatehouse gateway, or it turned the connection away (" + io.Message + ")",
            _ => Trim(ex.Message, endpoint),
        };
        return attempts > 1 ? $"{text} ({attempts} attempts)" : text;
    }

    /// <summary>An error status as the summary shows it: the gateway's message and the code.</summary>
    public static string Of(CallStatus status) =>
        $"{(string.IsNullOrEmpty(status.Message) ? ErrorCodes.Describe(status.ErrorCode) : status.Message)} (error {status.Code})";

    /// <summary>A socket-level failure (remctl's connection).</summary>
    public static string Of(SocketException ex) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host name not found",
        SocketError.TimedOut => "connect timed out",
        _ => ex.Message,
    };

    /// <summary>Drops a leading "<paramref name="endpoint"/>: " or "<paramref name="endpoint"/> " from a library message.</summary>
    public static string Trim(string message, Endpoint endpoint)
    {
        string where = endpoint.ToString();
        if (message.StartsWith(where + ": ", StringComparison.Ordinal))
        {
            return message[(where.Length + 2)..];
        }

        return message.StartsWith(where + " ", StringComparison.Ordinal) ? message[(where.Length + 1)..] : message;
    }
}
