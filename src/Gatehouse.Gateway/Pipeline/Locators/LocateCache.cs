using System.Collections.Concurrent;

namespace Gatehouse.Gateway.Pipeline.Locators;

/// <summary>What a locator said about a key: the member text it named (null: not known, route as usual), or why asking failed.</summary>
internal readonly record struct Located(string? Member, string? Failure, TimeSpan Ttl)
{
    public static Located Failed(string why, TimeSpan ttl) => new(null, why, ttl);
}

/// <summary>
/// Locator answers by (domain, key), each kept for its TTL. One question per key at a time: requests
/// for a key being asked about wait for that answer instead of asking again. Bounded: past
/// <see cref="LocatorOptions.MaxCacheEntries"/> expired answers are dropped, then the oldest.
/// </summary>
internal sealed class LocateCache(int maxEntries, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Domain, string Key), Entry> _entries = new();
    private int _count;

    private sealed class Entry(Task<Located> answer, long created)
    {
        public Task<Located> Answer { get; } = answer;

        public long Created { get; } = created;

        // Set once the answer is in; until then the entry does not expire (askers share the question).
        public long ExpiresAt { get; set; } = long.MaxValue;
    }

    /// <summary>Answers kept (or being asked), for tests and status.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The kept answer for (domain, key), or the answer of <paramref name="ask"/>, asked once however many wait.</summary>
    public Task<Located> GetOrAsk(string domain, string key, Func<Task<Located>> ask)
    {
        long now = time.GetTimestamp();
        var id = (domain, key);
        if (_entries.TryGetValue(id, out var held) && now < held.ExpiresAt)
        {
            return held.Answer;
        }

        if (maxEntries == 0)
        {
            return ask();
        }

        var question = new TaskCompletionSource<Located>(TaskCreationOptions.RunContinuationsAsynchronously);
        var entry = new Entry(question.Task, now);
        while (true)
        {
            if (_entries.TryGetValue(id, out held))
            {
                if (now < held.ExpiresAt)
                {
                    return held.Answer;
                }

                if (!_entries.TryUpdate(id, entry, held))
                {
                    continue; // someone else replaced the stale answer: use theirs
                }
            }
            else if (!_entries.TryAdd(id, entry))
            {
                continue;
            }
            else if (Interlocked.Increment(ref _count) > maxEntries)
            {
                Trim(now);
            }

            break;
        }

        _ = AskAsync(id, entry, question, ask);
        return question.Task;
    }

    private async Task AskAsync((string, string) id, Entry entry, TaskCompletionSource<Located> question, Func<Task<Located>> ask)
    {
        Located answer;
        try
        {
            answer = await ask().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            answer = Located.Failed(ex.Message, TimeSpan.Zero);
        }

        if (answer.Ttl <= TimeSpan.Zero)
        {
            if (_entries.TryRemove(new KeyValuePair<(string, string), Entry>(id, entry)))
            {
                Interlocked.Decrement(ref _count);
            }
        }
        else
        {
            entry.ExpiresAt = time.GetTimestamp() + (long)(answer.Ttl.TotalSeconds * time.TimestampFrequency);
        }

        question.TrySetResult(answer);
    }

    /// <summary>Drops expired answers; if still over the bound, the oldest tenth.</summary>
    private void Trim(long now)
    {
        foreach (var (id, e) in _entries)
        {
            if (now >= e.ExpiresAt && _entries.TryRemove(new KeyValuePair<(string, string), Entry>(id, e)))
            {
                Interlocked.Decrement(ref _count);
            }
        }

        int over = Volatile.Read(ref _count) - (maxEntries - (maxEntries / 10));
        if (over <= 0)
        {
            return;
        }

        foreach (var (id, e) in _entries.OrderBy(kv => kv.Value.Created).Take(over).ToList())
        {
            if (_entries.TryRemove(new KeyValuePair<(string, string), Entry>(id, e)))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }
}
