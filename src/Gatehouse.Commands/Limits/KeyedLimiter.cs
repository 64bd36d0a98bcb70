namespace Gatehouse.Commands.Limits;

/// <summary>
/// Counts things in use (processes, connections, requests) in total and per key (a principal, an
/// address, a fingerprint), and refuses one more past either cap. Thread-safe; a key's entry is
/// removed when its count returns to zero, so the table holds only keys in use.
/// </summary>
public sealed class KeyedLimiter
{
    private readonly Dictionary<string, int> _perKey = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _total;
    private long _refusals;
    private long _acquired;

    /// <param name="what">What is counted, for refusal messages ("exec processes").</param>
    /// <param name="maxTotal">Most in use at once; 0 or less: no total cap.</param>
    /// <param name="maxPerKey">Most in use at once per key; 0 or less: no per-key cap.</param>
    public KeyedLimiter(string what, int maxTotal, int maxPerKey)
    {
        What = what;
        MaxTotal = maxTotal;
        MaxPerKey = maxPerKey;
    }

    /// <summary>What is counted.</summary>
    public string What { get; }

    /// <summary>The total cap (0 or less: none).</summary>
    public int MaxTotal { get; }

    /// <summary>The per-key cap (0 or less: none).</summary>
    public int MaxPerKey { get; }

    /// <summary>In use now.</summary>
    public int Total
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>How many times one more was refused (a metric).</summary>
    public long Refusals => Interlocked.Read(ref _refusals);

    /// <summary>How many were taken since start (for exec processes: spawns allowed).</summary>
    public long Acquired => Interlocked.Read(ref _acquired);

    /// <summary>In use now for <paramref name="key"/>.</summary>
    public int CountFor(string key)
    {
        lock (_gate)
        {
            return _perKey.GetValueOrDefault(key);
        }
    }

    /// <summary>
    /// Takes one for <paramref name="key"/>, or returns false with the reason (which cap, its value)
    /// when either cap is reached. Every true must be matched by one <see cref="Release"/>.
    /// </summary>
    public bool TryAcquire(string key, out string refusal)
    {
        lock (_gate)
        {
            if (MaxTotal > 0 && _total >= MaxTotal)
            {
                refusal = $"{_total} {What} in use on this gateway (limit {MaxTotal})";
                Interlocked.Increment(ref _refusals);
                return false;
            }

            int mine = _perKey.GetValueOrDefault(key);
            if (MaxPerKey > 0 && mine >= MaxPerKey)
            {
                refusal = $"{mine} {What} in use for {key} (limit {MaxPerKey})";
                Interlocked.Increment(ref _refusals);
                return false;
            }

            _perKey[key] = mine + 1;
            _total++;
            _acquired++;
            refusal = string.Empty;
            return true;
        }
    }

    /// <summary>Gives back one taken for <paramref name="key"/>.</summary>
    public void Release(string key)
    {
        lock (_gate)
        {
            if (!_perKey.TryGetValue(key, out int mine))
            {
                throw new InvalidOperationException($"Release without acquire for {key}");
            }

            if (mine <= 1)
            {
                _perKey.Remove(key);
            }
            else
            {
                _perKey[key] = mine - 1;
            }

            _total--;
        }
    }
}
