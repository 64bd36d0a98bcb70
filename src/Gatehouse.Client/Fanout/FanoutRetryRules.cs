using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Client.Fanout;

/// <summary>
/// Which outcomes of one attempt are safe to try again. The rule: retry only when the request cannot
/// have reached a backend, unless the request is marked <see cref="CallRequest.Idempotent"/>. These
/// are the same rules <see cref="GatehouseClient"/> applies internally; the fan-out client runs them
/// through a <see cref="Retrier"/> so the backoff clock is injectable.
/// </summary>
public static class FanoutRetryRules
{
    /// <summary>
    /// True for a connect failure that may pass (<see cref="ConnectException.IsTransient"/>: refused,
    /// timeout, network, unresolved) and for a connection that closed before the request was sent.
    /// False for fingerprint mismatch, not trusted, rejected, TLS and protocol failures, which another
    /// attempt would only repeat.
    /// </summary>
    public static bool ShouldRetry(Exception exception) => exception switch
    {
        ConnectException connect => connect.IsTransient,
        // GatehouseClient lets this out only from opening the stream, i.e. before the request left.
        ConnectionClosedException => true,
        _ => false,
    };

    /// <summary>
    /// True when the node answered that it did not process the request (SHUTTING_DOWN before any
    /// output: the gateway was draining), or when the backend failed or the connection broke mid-call
    /// (BACKEND_FAILED) and <paramref name="request"/> is idempotent.
    /// </summary>
    public static bool ShouldRetry(CallResult result, CallRequest request)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(request);
        if (!result.Status.IsError)
        {
            return false;
        }

        bool notProcessed = result.Status.ErrorCode == ErrorCode.ShuttingDown && result.Outputs.Count == 0;
        bool lostMidCall = result.Status.ErrorCode == ErrorCode.BackendFailed && request.Idempotent;
        return notProcessed || lostMidCall;
    }
}
