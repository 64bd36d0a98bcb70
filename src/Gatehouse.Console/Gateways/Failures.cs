using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;

namespace Gatehouse.WebConsole.Gateways;

/// <summary>What went wrong with a gateway, for a page: a kind the page styles by and one line of text.</summary>
/// <param name="Kind"><c>fingerprint</c> (the gateway presented another fingerprint than the pinned one), <c>untrusted</c> (nothing pins it), <c>connect</c>, <c>denied</c>, <c>error</c>.</param>
/// <param name="Message">One line saying what happened.</param>
internal sealed record GatewayProblem(string Kind, string Message)
{
    /// <summary>A connection that could not be made, in the words the CLI uses.</summary>
    public static GatewayProblem Of(ConnectException ex, Endpoint endpoint, Pin pin) => ex.Failure switch
    {
        ConnectFailure.FingerprintMismatch => new("fingerprint",
            $"FINGERPRINT CHANGED: {endpoint} presents {ex.Presented}, which is not the pinned fingerprint {pin.Fingerprint} (from {pin.Source}). Refusing to connect; nothing was sent."),
        ConnectFailure.NotTrusted => Untrusted(endpoint),
        ConnectFailure.Refused => new("connect", "connection refused"),
        ConnectFailure.Timeout => new("connect", "connect timed out"),
        ConnectFailure.Unresolved => new("connect", "host name not found"),
        ConnectFailure.Rejected => new("denied", "the gateway refused this identity: " + Trim(ex.Message, endpoint)),
        ConnectFailure.Tls => new("connect", "not a Gatehouse gateway, or not TLS (TLS handshake failed)"),
        _ => new("connect", Trim(ex.Message, endpoint)),
    };

    /// <summary>A gateway nothing pins: the console never trusts on first use.</summary>
    public static GatewayProblem Untrusted(Endpoint endpoint) =>
        new("untrusted", $"no fingerprint is pinned for {endpoint}: run 'gatehouse trust {endpoint}' (the console never trusts on first use)");

    /// <summary>An error status the gateway answered.</summary>
    public static GatewayProblem Of(CallStatus status) => new(
        status.ErrorCode == ErrorCode.Access ? "denied" : "error",
        $"{(string.IsNullOrEmpty(status.Message) ? ErrorCodes.Describe(status.ErrorCode) : status.Message)} (error {status.Code})");

    /// <summary>Any other failure of a call.</summary>
    public static GatewayProblem Of(Exception ex) => ex switch
    {
        ConnectionClosedException => new("connect", "connection closed: " + ex.Message),
        _ => new("error", ex.Message),
    };

    private static string Trim(string message, Endpoint endpoint)
    {
        string where = endpoint + ": ";
        return message.StartsWith(where, StringComparison.Ordinal) ? message[where.Length..] : message;
    }
}
