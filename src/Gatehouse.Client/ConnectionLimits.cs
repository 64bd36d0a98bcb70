using Gatehouse.Transport.Connections;

namespace Gatehouse.Client;

/// <summary>
/// Safe caps on <see cref="ConnectionOptions"/> as the client library uses them. The record itself
/// (shared with the service SDK and gateway links) does not check its values; <see cref="ClientOptions"/>,
/// <see cref="Fanout.FanoutClientOptions"/> and <see cref="RetryPolicy"/> check them here when they are
/// set, so a bad value fails at once with an <see cref="ArgumentOutOfRangeException"/> naming it.
/// </summary>
public static class ConnectionLimits
{
    /// <summary>Most retries a call may make (<see cref="ConnectionOptions.MaxRetries"/>): 100.</summary>
    public const int MaxRetries = 100;

    /// <summary>Longest connect timeout (<see cref="ConnectionOptions.ConnectTimeout"/>): 10 min.</summary>
    public static readonly TimeSpan MaxConnectTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Longest backoff cap (<see cref="ConnectionOptions.MaxBackoff"/>): 1 h.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(1);

    /// <summary>Longest call deadline (<see cref="ConnectionOptions.CallDeadline"/>): the wire field's 2^32-1 ms (about 49.7 days).</summary>
    public static readonly TimeSpan MaxCallDeadline = TimeSpan.FromMilliseconds(uint.MaxValue);

    /// <summary>
    /// Returns <paramref name="options"/> when every value is within its limits: connect timeout
    /// 0 &lt; t ≤ 10 min; inactivity timeout and keepalive interval ≥ 0 (0 turns them off); call
    /// deadline null or 0 &lt; d ≤ 2^32-1 ms; retries 0..100; initial backoff 0 &lt; b ≤ max backoff ≤ 1 h.
    /// </summary>
    /// <param name="paramName">The name reported in the exception (the option that holds the record).</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its limits; the message names it.</exception>
    public static ConnectionOptions Validate(ConnectionOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(options, paramName);
        Check(options.ConnectTimeout > TimeSpan.Zero && options.ConnectTimeout <= MaxConnectTimeout, paramName, nameof(options.ConnectTimeout), options.ConnectTimeout, $"must be more than 0 and at most {MaxConnectTimeout}");
        Check(options.InactivityTimeout >= TimeSpan.Zero, paramName, nameof(options.InactivityTimeout), options.InactivityTimeout, "must not be negative (0 turns it off)");
        Check(options.KeepAliveInterval >= TimeSpan.Zero, paramName, nameof(options.KeepAliveInterval), options.KeepAliveInterval, "must not be negative (0 turns it off)");
        Check(options.CallDeadline is null || (options.CallDeadline > TimeSpan.Zero && options.CallDeadline <= MaxCallDeadline), paramName, nameof(options.CallDeadline), options.CallDeadline, $"must be null (none) or more than 0 and at most {MaxCallDeadline}");
        Check(options.MaxRetries is >= 0 and <= MaxRetries, paramName, nameof(options.MaxRetries), options.MaxRetries, $"must be 0..{MaxRetries}");
        Check(options.MaxBackoff > TimeSpan.Zero && options.MaxBackoff <= MaxBackoff, paramName, nameof(options.MaxBackoff), options.MaxBackoff, $"must be more than 0 and at most {MaxBackoff}");
        Check(options.InitialBackoff > TimeSpan.Zero && options.InitialBackoff <= options.MaxBackoff, paramName, nameof(options.InitialBackoff), options.InitialBackoff, $"must be more than 0 and at most MaxBackoff ({options.MaxBackoff})");
        return options;
    }

    private static void Check(bool ok, string paramName, string field, object? value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{field}", value, $"{paramName}.{field} {rule}; got {value?.ToString() ?? "null"}");
        }
    }
}
