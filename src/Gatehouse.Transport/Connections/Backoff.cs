namespace Gatehouse.Transport.Connections;

/// <summary>
/// Truncated exponential backoff with full jitter: the delay before retry <c>n</c> (0-based) is a
/// random value in [d/2, d] where d = min(max, initial × 2^n). Half-jitter keeps delays growing
/// while spreading peers that failed together.
/// </summary>
public sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Random _random;

    public Backoff(TimeSpan initial, TimeSpan max, Random? random = null)
    {
        if (initial <= TimeSpan.Zero || max < initial)
        {
            throw new ArgumentOutOfRangeException(nameof(initial), "Need 0 < initial <= max");
        }

        _initial = initial;
        _max = max;
        _random = random ?? Random.Shared;
    }

    public Backoff(ConnectionOptions options, Random? random = null) : this(options.InitialBackoff, options.MaxBackoff, random) { }

    /// <summary>The ceiling for retry <paramref name="attempt"/> before jitter.</summary>
    public TimeSpan Ceiling(int attempt)
    {
        double factor = Math.Pow(2, Math.Min(attempt, 62));
        double ms = Math.Min(_max.TotalMilliseconds, _initial.TotalMilliseconds * factor);
        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>The jittered delay before retry <paramref name="attempt"/> (0-based).</summary>
    public TimeSpan Delay(int attempt)
    {
        double ceiling = Ceiling(attempt).TotalMilliseconds;
        return TimeSpan.FromMilliseconds((ceiling / 2) + (_random.NextDouble() * ceiling / 2));
    }
}
