namespace Gatehouse.Gateway.Cluster;

/// <summary>
/// The hybrid logical clock that stamps grant changes: a reading is
/// <c>max(wall clock in Unix ms, last reading or last timestamp seen + 1)</c>. A member whose wall
/// clock is behind still stamps a change after every change it has seen, so "the newer change wins"
/// holds for changes made one after another anywhere in the cluster; only truly concurrent changes
/// are ordered by the wall clocks (and then the origin). Not thread-safe (its ledger's owner serialises).
/// </summary>
public sealed class GrantClock(TimeProvider time)
{
    private long _last;

    /// <summary>The last reading given or timestamp seen.</summary>
    public long Last => _last;

    /// <summary>The wall clock in Unix milliseconds.</summary>
    public long WallMilliseconds => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A new reading, greater than every earlier reading and every timestamp seen.</summary>
    /// <exception cref="InvalidOperationException">The clock reached <see cref="GrantEntry.MaxTimestamp"/> (refused on input, so never in practice).</exception>
    public long Next()
    {
        if (_last >= GrantEntry.MaxTimestamp)
        {
            throw new InvalidOperationException("the grant clock reached its maximum");
        }

        _last = Math.Max(WallMilliseconds, _last + 1);
        return _last;
    }

    /// <summary>Moves the clock to at least <paramref name="timestamp"/>.</summary>
    public void Observe(long timestamp) => _last = Math.Max(_last, timestamp);
}
