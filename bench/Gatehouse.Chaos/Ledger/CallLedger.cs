using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gatehouse.Chaos.Ledger;

/// <summary>
/// The account of every call: ids handed out, which are in flight and since when, how each ended
/// (by kind: <c>ok</c>, an error code's name, <c>exception:Type</c>, ...). Each id may end once:
/// its outcome byte is set with a compare-and-swap, and a second end is counted, never recorded.
/// </summary>
internal sealed class CallLedger
{
    /// <summary>Outcome byte: ended with success (exit 0 and the right output).</summary>
    public const byte EndedOk = 1;

    /// <summary>Outcome byte: ended any other way.</summary>
    public const byte EndedFailed = 2;

    private readonly IdTable _outcomes = new();
    private readonly ConcurrentDictionary<long, long> _inFlight = new();
    private readonly ConcurrentDictionary<long, byte> _overdue = new();
    private readonly ConcurrentDictionary<string, StrongBox> _kinds = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _firsts = new();
    private long _next;
    private long _ended;
    private long _ok;
    private long _endedTwice;
    private long _late;

    /// <summary>Ids handed out so far (the next id).</summary>
    public long Started => Volatile.Read(ref _next);

    public long Ended => Volatile.Read(ref _ended);

    public long Ok => Volatile.Read(ref _ok);

    public long EndedTwice => Volatile.Read(ref _endedTwice);

    /// <summary>Calls that ended after they had been reported overdue.</summary>
    public long Late => Volatile.Read(ref _late);

    public int InFlight => _inFlight.Count;

    /// <summary>Hands out the next id and records it in flight from now.</summary>
    public long Start()
    {
        long id = Interlocked.Increment(ref _next) - 1;
        _inFlight[id] = Stopwatch.GetTimestamp();
        return id;
    }

    /// <summary>
    /// Records the one end of <paramref name="id"/>; returns false (and counts it) if it had already
    /// ended. The first failed call of each kind keeps <paramref name="detail"/> (the status message) for <see cref="TakeFirsts"/>.
    /// </summary>
    public bool End(long id, string kind, bool ok, string? detail = null)
    {
        if (_outcomes.SetIfZero(id, ok ? EndedOk : EndedFailed) != 0)
        {
            Interlocked.Increment(ref _endedTwice);
            return false;
        }

        _inFlight.TryRemove(id, out _);
        if (_overdue.TryRemove(id, out _))
        {
            Interlocked.Increment(ref _late);
        }

        Interlocked.Increment(ref _ended);
        if (ok)
        {
            Interlocked.Increment(ref _ok);
        }

        if (!_kinds.TryGetValue(kind, out var box))
        {
            box = new StrongBox();
            if (!_kinds.TryAdd(kind, box))
            {
                box = _kinds[kind];
            }
            else if (!ok)
            {
                _firsts.Enqueue($"first {kind}: call {id}: {detail}");
            }
        }

        Interlocked.Increment(ref box.Value);
        return true;
    }

    /// <summary>Lines about kinds of end seen for the first time since the last call (the first call of each kind and its message).</summary>
    public List<string> TakeFirsts()
    {
        var list = new List<string>();
        while (_firsts.TryDequeue(out string? line))
        {
            list.Add(line);
        }

        return list;
    }

    /// <summary>The outcome byte of <paramref name="id"/>: 0 (not ended), <see cref="EndedOk"/> or <see cref="EndedFailed"/>.</summary>
    public byte Outcome(long id) => _outcomes.Get(id);

    /// <summary>Ended calls by kind, most frequent first.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Kinds() =>
        _kinds.Select(k => KeyValuePair.Create(k.Key, Volatile.Read(ref k.Value.Value))).OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal).ToList();

    /// <summary>Calls in flight for longer than <paramref name="limit"/> that were not reported before (each is reported once).</summary>
    public List<(long Id, TimeSpan Age)> NewlyOverdue(TimeSpan limit)
    {
        long now = Stopwatch.GetTimestamp();
        var list = new List<(long, TimeSpan)>();
        foreach (var (id, start) in _inFlight)
        {
            var age = Stopwatch.GetElapsedTime(start, now);
            if (age > limit && _overdue.TryAdd(id, 0))
            {
                list.Add((id, age));
            }
        }

        return list;
    }

    /// <summary>Ids still in flight (at the end: the lost calls).</summary>
    public List<long> StillInFlight() => _inFlight.Keys.Order().ToList();

    private sealed class StrongBox
    {
        public long Value;
    }
}
