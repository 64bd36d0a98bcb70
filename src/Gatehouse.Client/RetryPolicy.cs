using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Client;

/// <summary>
/// The one retry policy of the client library: <see cref="GatehouseClient"/> and
/// <see cref="Fanout.FanoutClient"/> both run every call through it. It says which failures are
/// tried again, how many times, and how long to wait in between, on an injectable clock.
/// <list type="bullet">
/// <item><b>What is retried.</b> Only what cannot have reached a backend, unless the request is
/// <see cref="CallRequest.Idempotent"/>: a connect failure that may pass
/// (<see cref="ConnectException.IsTransient"/>: refused, timeout, network, unresolved); a connection
/// that closed before the request left (<see cref="ConnectionClosedException"/> from opening the
/// stream); a SHUTTING_DOWN status before any output (the gateway was draining and did not take the
/// request). BACKEND_FAILED (the backend failed, or the connection to it broke mid-call, so the
/// command may have run) is retried only for an idempotent request. Nothing else: exit statuses,
/// every other error status, fingerprint mismatch, not trusted, rejected, TLS and protocol
/// failures (another attempt would only repeat them), and cancellation.</item>
/// <item><b>How many times.</b> At most <c>1 + </c><see cref="ConnectionOptions.MaxRetries"/>
/// attempts per call, counting connect attempts and request attempts together.</item>
/// <item><b>How long between.</b> Truncated exponential backoff with half jitter
/// (<see cref="Transport.Connections.Backoff"/>): before retry n (0-based) a random delay in
/// [d/2, d], d = min(<see cref="ConnectionOptions.MaxBackoff"/>, <see cref="ConnectionOptions.InitialBackoff"/> × 2^n),
/// waited on <see cref="TimeProvider"/>.</item>
/// </list>
/// Thread-safe.
/// </summary>
public sealed class RetryPolicy
{
    /// <summary>A policy with <paramref name="options"/>' retry count and backoff.</summary>
    /// <param name="options">Supplies <see cref="ConnectionOptions.MaxRetries"/>, <see cref="ConnectionOptions.InitialBackoff"/> and <see cref="ConnectionOptions.MaxBackoff"/>.</param>
    /// <param name="timeProvider">The clock backoff waits run on; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="random">The jitter source; default <see cref="Random.Shared"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The retry count or backoff bounds are invalid (see <see cref="ClientOptions.Connection"/>).</exception>
    public RetryPolicy(ConnectionOptions options, TimeProvider? timeProvider = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(nameof(options));
        MaxRetries = options.MaxRetries;
        Backoff = new Backoff(options, random);
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Attempts after the first.</summary>
    public int MaxRetries { get; }

    /// <summary>The delay schedule.</summary>
    public Backoff Backoff { get; }

    /// <summary>The clock backoff waits run on.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>
    /// True for a connect failure that may pass (<see cref="ConnectException.IsTransient"/>) and for a
    /// connection that closed before the request was sent (<see cref="ConnectionClosedException"/>:
    /// the client lets it out only from opening the stream). False for everything else.
    /// </summary>
    public static bool ShouldRetry(Exception exception) => exception switch
    {
        ConnectException connect => connect.IsTransient,
        ConnectionClosedException => true,
        _ => false,
    };

    /// <summary>
    /// True when the gateway answered that it did not process the request (SHUTTING_DOWN before any
    /// output), or when the backend failed or the connection broke mid-call (BACKEND_FAILED) and
    /// <paramref name="request"/> is idempotent.
    /// </summary>
    public static bool ShouldRetry(CallResult result, CallRequest request)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(request);
        return ShouldRetry(result.Status, anyOutput: result.Outputs.Count > 0, request.Idempotent);
    }

    /// <summary>The rule of <see cref="ShouldRetry(CallResult, CallRequest)"/> on its parts.</summary>
    public static bool ShouldRetry(CallStatus status, bool anyOutput, bool idempotent)
    {
        if (!status.IsError)
        {
            return false;
        }

        bool notProcessed = status.ErrorCode == ErrorCode.ShuttingDown && !anyOutput;
        bool lostMidCall = status.ErrorCode == ErrorCode.BackendFailed && idempotent;
        return notProcessed || lostMidCall;
    }

    /// <summary>
    /// Runs <paramref name="operation"/> (given the 0-based attempt number) until it returns a result
    /// that <paramref name="retryResult"/> does not reject, throws an exception that
    /// <see cref="ShouldRetry(Exception)"/> rejects, or <see cref="MaxRetries"/> retries are used up.
    /// </summary>
    /// <param name="retryResult">Which results deserve another attempt; null retries no result.</param>
    /// <param name="onRetry">Told about each retry (attempt about to run, delay, cause) before the wait.</param>
    /// <returns>The last attempt's result.</returns>
    /// <exception cref="Exception">The last attempt's exception, rethrown unchanged.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired during a backoff wait.</exception>
    public async Task<T> RunAsync<T>(
        Func<int, CancellationToken, Task<T>> operation,
        Func<T, bool>? retryResult = null,
        Action<RetryEvent>? onRetry = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        for (int attempt = 0; ; attempt++)
        {
            T result;
            try
            {
                result = await operation(attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < MaxRetries && !cancellationToken.IsCancellationRequested && ShouldRetry(ex))
            {
                await WaitAsync(attempt, ex, onRetry, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (attempt < MaxRetries && retryResult is not null && retryResult(result))
            {
                await WaitAsync(attempt, null, onRetry, cancellationToken).ConfigureAwait(false);
                continue;
            }

            return result;
        }
    }

    private Task WaitAsync(int attempt, Exception? cause, Action<RetryEvent>? onRetry, CancellationToken cancellationToken)
    {
        var delay = Backoff.Delay(attempt);
        onRetry?.Invoke(new RetryEvent(attempt + 1, delay, cause));
        return Task.Delay(delay, TimeProvider, cancellationToken);
    }
}

/// <summary>One retry about to happen.</summary>
/// <param name="Attempt">The 0-based number of the attempt that will run after the wait (1 for the first retry).</param>
/// <param name="Delay">How long the policy waits first.</param>
/// <param name="Cause">The exception that failed the previous attempt, or null when its result was rejected.</param>
public readonly record struct RetryEvent(int Attempt, TimeSpan Delay, Exception? Cause);
