namespace Gatehouse.Transport.Connections;

/// <summary>
/// Runs an operation up to <c>1 + MaxRetries</c> times (<see cref="ConnectionOptions.MaxRetries"/>),
/// waiting a truncated exponential backoff with half jitter (<see cref="Connections.Backoff"/>) between
/// attempts. The wait runs on a <see cref="System.TimeProvider"/>, so tests drive it with a fake clock.
/// The caller decides which outcomes deserve another attempt: only those that are safe to repeat.
/// </summary>
public sealed class Retrier
{
    /// <summary>A retrier with <paramref name="options"/>' retry count and backoff.</summary>
    /// <param name="options">Supplies <see cref="ConnectionOptions.MaxRetries"/>, <see cref="ConnectionOptions.InitialBackoff"/> and <see cref="ConnectionOptions.MaxBackoff"/>.</param>
    /// <param name="timeProvider">The clock backoff waits run on; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="random">The jitter source; default <see cref="Random.Shared"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The backoff bounds are invalid (see <see cref="Connections.Backoff"/>).</exception>
    public Retrier(ConnectionOptions options, TimeProvider? timeProvider = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        MaxRetries = Math.Max(0, options.MaxRetries);
        Backoff = new Backoff(options, random);
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Attempts after the first; never negative.</summary>
    public int MaxRetries { get; }

    /// <summary>The delay schedule.</summary>
    public Backoff Backoff { get; }

    /// <summary>The clock backoff waits run on.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>
    /// Runs <paramref name="operation"/> (given the 0-based attempt number) until it returns a result
    /// that <paramref name="retryResult"/> rejects, throws an exception that
    /// <paramref name="retryException"/> rejects, or <see cref="MaxRetries"/> retries are used up.
    /// </summary>
    /// <param name="onRetry">Told about each retry (attempt about to run, delay, cause) before the wait.</param>
    /// <returns>The last attempt's result.</returns>
    /// <exception cref="Exception">The last attempt's exception, rethrown unchanged.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired during a backoff wait.</exception>
    public async Task<T> RunAsync<T>(
        Func<int, CancellationToken, Task<T>> operation,
        Func<T, bool> retryResult,
        Func<Exception, bool> retryException,
        Action<RetryEvent>? onRetry = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(retryResult);
        ArgumentNullException.ThrowIfNull(retryException);
        for (int attempt = 0; ; attempt++)
        {
            T result;
            try
            {
                result = await operation(attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < MaxRetries && !cancellationToken.IsCancellationRequested && retryException(ex))
            {
                await WaitAsync(attempt, ex, onRetry, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (attempt < MaxRetries && retryResult(result))
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
/// <param name="Delay">How long the retrier waits first.</param>
/// <param name="Cause">The exception that failed the previous attempt, or null when its result was rejected.</param>
public readonly record struct RetryEvent(int Attempt, TimeSpan Delay, Exception? Cause);
