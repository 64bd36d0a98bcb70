using System.Collections.Concurrent;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// A memory budget shared by many connections (the gateway has one): how many bytes of outbound
/// DATA may wait in all connection writers together. A writer reserves bytes before it buffers a
/// DATA frame and releases them once the frame was sent; when the budget is spent, writers wait as
/// they wait for flow-control credit, and are woken when another connection's send frees room.
/// Reserving and releasing are single interlocked operations; waking walks only connections that
/// found the budget spent.
/// </summary>
public sealed class BufferBudget
{
    private readonly ConcurrentQueue<MuxConnection> _waiting = new();
    private long _used;
    private long _exhausted;
    private int _waiterCount;

    /// <param name="capacity">Bytes of buffered output allowed at once, at least 64 KiB.</param>
    public BufferBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 65_536);
        Capacity = capacity;
    }

    /// <summary>Bytes allowed at once.</summary>
    public long Capacity { get; }

    /// <summary>Bytes reserved now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>How many times a writer found the budget spent (a metric).</summary>
    public long Exhausted => Interlocked.Read(ref _exhausted);

    /// <summary>
    /// Reserves up to <paramref name="wanted"/> bytes; returns how many were reserved (0 when the
    /// budget is spent).
    /// </summary>
    public int Reserve(int wanted)
    {
        while (true)
        {
            long used = Interlocked.Read(ref _used);
            long room = Capacity - used;
            if (room <= 0)
            {
                Interlocked.Increment(ref _exhausted);
                return 0;
            }

            int take = (int)Math.Min(room, wanted);
            if (Interlocked.CompareExchange(ref _used, used + take, used) == used)
            {
                return take;
            }
        }
    }

    /// <summary>Gives back <paramref name="bytes"/> reserved earlier and wakes connections waiting for room.</summary>
    public void Release(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        Interlocked.Add(ref _used, -bytes);
        if (Volatile.Read(ref _waiterCount) > 0)
        {
            WakeWaiters();
        }
    }

    /// <summary>Wakes <paramref name="connection"/>'s writers once another connection frees room.</summary>
    internal void WaitForRoom(MuxConnection connection)
    {
        _waiting.Enqueue(connection);
        Interlocked.Increment(ref _waiterCount);
        if (Interlocked.Read(ref _used) < Capacity)
        {
            // Room appeared between the failed reservation and the enqueue.
            WakeWaiters();
        }
    }

    private void WakeWaiters()
    {
        while (_waiting.TryDequeue(out var connection))
        {
            Interlocked.Decrement(ref _waiterCount);
            connection.WakeCreditWaiters();
        }
    }
}
