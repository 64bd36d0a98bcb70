namespace Gatehouse.Gateway;

/// <summary>
/// Rate limit for errors a periodic check meets again and again (an unreadable file is found bad
/// every second): a message is logged at once when it is new or differs from the last one logged
/// under its key, and otherwise at most once per interval. <see cref="Clear"/> forgets a key when
/// its condition is gone, so a recurrence is logged at once. Thread-safe.
/// </summary>
internal sealed class LogThrottle(TimeProvider time, TimeSpan interval)
{
    private readonly Dictionary<string, (string Message, long At)> _last = [];

    /// <summary>True when <paramref name="message"/> should be logged now under <paramref name="key"/>.</summary>
    public bool ShouldLog(string key, string message)
    {
        long now = time.GetTimestamp();
        lock (_last)
        {
            if (_last.TryGetValue(key, out var last) && last.Message == message && time.GetElapsedTime(last.At, now) < interval)
            {
                return false;
            }

            _last[key] = (message, now);
            return true;
        }
    }

    /// <summary>Forgets <paramref name="key"/>: its condition cleared.</summary>
    /// <returns>True when something had been logged under it (so the recovery is worth a line).</returns>
    public bool Clear(string key)
    {
        lock (_last)
        {
            return _last.Remove(key);
        }
    }
}
