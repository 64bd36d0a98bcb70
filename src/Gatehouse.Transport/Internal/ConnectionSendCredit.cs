using Gatehouse.Protocol;

namespace Gatehouse.Transport.Internal;

/// <summary>
/// The connection's send window (docs/protocol.md section 3) and the writers waiting for
/// connection-wide room: this window, buffer room or the shared budget. Guarded by the
/// connection writer's lock (<c>*Unsynchronized</c> members need it held; the others take it), so
/// checking credit and writing the frame stay atomic. Waiters are woken in the order they began
/// to wait, each once; a woken writer checks again and waits again if it still finds no room.
/// </summary>
internal sealed class ConnectionSendCredit
{
    private readonly object _sync;
    private readonly List<ICreditWaiter> _waiters = [];
    private long _window;

    /// <param name="sync">The connection writer's lock.</param>
    public ConnectionSendCredit(object sync) => _sync = sync;

    /// <summary>Bytes the connection may send now.</summary>
    public long WindowUnsynchronized => _window;

    /// <summary>Writers waiting now (for tests).</summary>
    public int WaiterCount
    {
        get
        {
            lock (_sync)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>The peer's HELLO: its CONNECTION_WINDOW.</summary>
    public void SetInitial(int window)
    {
        lock (_sync)
        {
            _window = window;
        }
    }

    /// <summary>Charges <paramref name="bytes"/> of DATA just written.</summary>
    public void ConsumeUnsynchronized(int bytes) => _window -= bytes;

    /// <summary>A writer found no connection-wide room; <see cref="WakeAll"/> wakes it.</summary>
    public void AddWaiterUnsynchronized(ICreditWaiter waiter) => _waiters.Add(waiter);

    /// <summary>
    /// A WINDOW_UPDATE on stream 0: widens the window and wakes every waiter, unless the increment is
    /// 0 or would push the window past 2^31-1 (then nothing changes and nobody is woken).
    /// </summary>
    public CreditGrant Grant(int increment)
    {
        if (increment <= 0)
        {
            return CreditGrant.ZeroIncrement;
        }

        ICreditWaiter[]? wake;
        lock (_sync)
        {
            long next = _window + increment;
            if (next > ProtocolSettings.MaxWindow)
            {
                return CreditGrant.Overflow;
            }

            _window = next;
            wake = TakeWaitersUnsynchronized();
        }

        Wake(wake);
        return CreditGrant.Granted;
    }

    /// <summary>Wakes every waiter (room was freed, or the connection is closing): they check again.</summary>
    public void WakeAll()
    {
        ICreditWaiter[]? wake;
        lock (_sync)
        {
            wake = TakeWaitersUnsynchronized();
        }

        Wake(wake);
    }

    private ICreditWaiter[]? TakeWaitersUnsynchronized()
    {
        if (_waiters.Count == 0)
        {
            return null;
        }

        var wake = _waiters.ToArray();
        _waiters.Clear();
        return wake;
    }

    private static void Wake(ICreditWaiter[]? wake)
    {
        if (wake is null)
        {
            return;
        }

        // Outside the lock: waking takes the writer's lock again (the stream's waiter slot).
        foreach (var waiter in wake)
        {
            waiter.WakeWriter();
        }
    }
}
