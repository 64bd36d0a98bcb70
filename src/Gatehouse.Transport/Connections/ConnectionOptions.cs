namespace Gatehouse.Transport.Connections;

/// <summary>
/// How to dial and when to retry, shared by the client, the service SDK and gateway-to-gateway
/// links. What a connection does once up (inactivity timeout, keepalive, buffers) is in
/// <see cref="Mux.MuxOptions"/>. Defaults are the documented ones; <see cref="Validate"/> (run by
/// <see cref="Dialer.ConnectAsync"/>) enforces the allowed ranges.
/// </summary>
public sealed record ConnectionOptions
{
    /// <summary>Longest <see cref="ConnectTimeout"/>: 5 minutes (as <see cref="Mux.MuxOptions.MaxHelloTimeout"/>).</summary>
    public static readonly TimeSpan MaxConnectTimeout = Mux.MuxOptions.MaxHelloTimeout;

    /// <summary>Longest <see cref="CallDeadline"/>: 2^31-1 ms (about 24.8 days).</summary>
    public static readonly TimeSpan MaxCallDeadline = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>Most <see cref="MaxRetries"/>: 100.</summary>
    public const int MaxRetriesLimit = 100;

    /// <summary>Longest <see cref="MaxBackoff"/>: 1 hour.</summary>
    public static readonly TimeSpan MaxBackoffLimit = TimeSpan.FromHours(1);

    /// <summary>How long a TCP connect plus TLS handshake plus HELLO may take; 0 &lt; value ≤ 5 min. Default 1 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Default per-call deadline; null means none; else 0 &lt; value ≤ 2^31-1 ms. Default none.</summary>
    public TimeSpan? CallDeadline { get; init; }

    /// <summary>Reconnection attempts after the first failure before giving up; 0 .. 100. Default 5.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>First backoff delay; 0 &lt; value ≤ <see cref="MaxBackoff"/>. Default 100 ms.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Cap of the truncated exponential backoff; at most 1 hour. Default 180 s (3 min).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The defaults.</summary>
    public static ConnectionOptions Default { get; } = new();

    /// <summary>Checks every setting; returns this instance.</summary>
    /// <param name="owner">
    /// The option that holds this record, if any (e.g. <c>Connection</c>): the exception then names
    /// <c>Connection.MaxRetries</c> rather than <c>MaxRetries</c>.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range (the message names it and the range).</exception>
    public ConnectionOptions Validate(string? owner = null)
    {
        Check(ConnectTimeout > TimeSpan.Zero && ConnectTimeout <= MaxConnectTimeout, owner, nameof(ConnectTimeout), ConnectTimeout, $"must be more than 0 and at most {MaxConnectTimeout}");
        Check(CallDeadline is null || (CallDeadline > TimeSpan.Zero && CallDeadline <= MaxCallDeadline), owner, nameof(CallDeadline), CallDeadline, $"must be null (none), or more than 0 and at most {MaxCallDeadline}");
        Check(MaxRetries is >= 0 and <= MaxRetriesLimit, owner, nameof(MaxRetries), MaxRetries, $"must be 0 to {MaxRetriesLimit}");
        Check(MaxBackoff > TimeSpan.Zero && MaxBackoff <= MaxBackoffLimit, owner, nameof(MaxBackoff), MaxBackoff, $"must be more than 0 and at most {MaxBackoffLimit}");
        Check(InitialBackoff > TimeSpan.Zero && InitialBackoff <= MaxBackoff, owner, nameof(InitialBackoff), InitialBackoff, $"must be more than 0 and at most MaxBackoff ({MaxBackoff})");
        return this;
    }

    private static void Check(bool ok, string? owner, string field, object? value, string rule)
    {
        if (!ok)
        {
            string name = owner is null ? field : $"{owner}.{field}";
            throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}; got {value?.ToString() ?? "null"}");
        }
    }
}
