using Gatehouse.Cluster.Wire;

namespace Gatehouse.Cluster.Membership;

/// <summary>
/// Updates waiting to be piggybacked or gossiped, at most one per member (a newer update about a member
/// replaces the queued one). The least-sent go first, newest first among equals; each is dropped after
/// the retransmit limit. Touched only under the node's lock.
/// </summary>
internal sealed class BroadcastQueue
{
    private readonly SortedSet<Entry> _order = new(EntryOrder.Instance);
    private readonly Dictionary<string, Entry> _byMember = new(StringComparer.Ordinal);
    private readonly List<Entry> _picked = [];
    private long _nextId;

    public int Count => _order.Count;

    /// <summary>Queues <paramref name="message"/> about <paramref name="memberId"/>, replacing what was queued about it.</summary>
    public void Enqueue(string memberId, SwimMessage message)
    {
        if (_byMember.Remove(memberId, out Entry? old))
        {
            _order.Remove(old);
        }

        var entry = new Entry(memberId, message, MessageWriter.SizeOf(message), _nextId++);
        _byMember.Add(memberId, entry);
        _order.Add(entry);
    }

    /// <summary>Whether an update about <paramref name="memberId"/> is still queued.</summary>
    public bool Contains(string memberId) => _byMember.ContainsKey(memberId);

    /// <summary>
    /// Adds to <paramref name="into"/> as many queued updates as fit in <paramref name="budget"/> bytes, each
    /// costing its size plus <paramref name="perMessageOverhead"/>, counting one transmission for each.
    /// </summary>
    /// <returns>Bytes used.</returns>
    public int Take(int budget, int perMessageOverhead, int maxCount, int transmitLimit, List<SwimMessage> into)
    {
        int used = 0;
        _picked.Clear();
        foreach (Entry e in _order)
        {
            if (_picked.Count >= maxCount || budget - used < 8)
            {
                break;
            }

            int cost = e.Size + perMessageOverhead;
            if (used + cost <= budget)
            {
                used += cost;
                _picked.Add(e);
                into.Add(e.Message);
            }
        }

        foreach (Entry e in _picked)
        {
            _order.Remove(e);
            e.Transmits++;
            if (e.Transmits >= transmitLimit)
            {
                _byMember.Remove(e.MemberId);
            }
            else
            {
                _order.Add(e);
            }
        }

        return used;
    }

    public void Clear()
    {
        _order.Clear();
        _byMember.Clear();
    }

    private sealed class Entry(string memberId, SwimMessage message, int size, long id)
    {
        public string MemberId { get; } = memberId;

        public SwimMessage Message { get; } = message;

        public int Size { get; } = size;

        public long Id { get; } = id;

        public int Transmits { get; set; }
    }

    private sealed class EntryOrder : IComparer<Entry>
    {
        public static readonly EntryOrder Instance = new();

        public int Compare(Entry? x, Entry? y)
        {
            int c = x!.Transmits.CompareTo(y!.Transmits);
            return c != 0 ? c : y.Id.CompareTo(x.Id);
        }
    }
}
