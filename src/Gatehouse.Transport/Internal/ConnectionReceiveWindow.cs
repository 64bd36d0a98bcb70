namespace Gatehouse.Transport.Internal;

/// <summary>
/// The connection's receive side (docs/protocol.md section 3): the credit the peer has for the
/// whole connection, and the received bytes delivered to streams and not yet consumed. Connection
/// credit comes back at once while those unconsumed bytes stay within
/// <see cref="Mux.MuxOptions.MaxBufferedInput"/>, and beyond it only as consumers take data, so a
/// connection holds at most that bound plus the window however many streams it opens. Credit goes
/// back in WINDOW_UPDATEs of at least half the window. The read loop charges and delivers;
/// consumers on any thread return (Interlocked). Methods that return an int return the increment
/// to announce on stream 0 now (0: nothing yet); the window is widened before they return.
/// </summary>
internal sealed class ConnectionReceiveWindow
{
    private readonly int _size;
    private readonly long _maxHeld;
    private int _remaining;
    private int _unreturned;

    // Delivered and not consumed, and how many of those had their credit withheld.
    private long _held;
    private long _owed;

    /// <param name="size">This side's CONNECTION_WINDOW.</param>
    /// <param name="maxBufferedInput">Unconsumed bytes whose credit still comes back at once.</param>
    public ConnectionReceiveWindow(int size, int maxBufferedInput)
    {
        _size = size;
        _remaining = size;
        _maxHeld = maxBufferedInput;
    }

    /// <summary>Credit the peer has left for the connection.</summary>
    public int Remaining => Volatile.Read(ref _remaining);

    /// <summary>Delivered bytes not yet consumed.</summary>
    public long Held => Interlocked.Read(ref _held);

    /// <summary>Read loop: charges <paramref name="bytes"/> of inbound DATA; false (nothing charged) when the peer sent more than it was granted.</summary>
    public bool TryConsume(int bytes)
    {
        // Only the read loop takes credit away; returns on other threads only add, so the check holds.
        if (bytes > Volatile.Read(ref _remaining))
        {
            return false;
        }

        Interlocked.Add(ref _remaining, -bytes);
        return true;
    }

    /// <summary>Read loop: <paramref name="bytes"/> were handed to a stream's consumer. Returns the increment to announce now.</summary>
    public int Delivered(int bytes)
    {
        if (Interlocked.Add(ref _held, bytes) <= _maxHeld)
        {
            return Return(bytes);
        }

        Interlocked.Add(ref _owed, bytes);
        return 0;
    }

    /// <summary>A consumer took (or dropped) <paramref name="bytes"/> delivered bytes. Returns the increment to announce now.</summary>
    public int Consumed(int bytes)
    {
        Interlocked.Add(ref _held, -bytes);
        while (true)
        {
            long owed = Interlocked.Read(ref _owed);
            if (owed <= 0)
            {
                return 0;
            }

            int take = (int)Math.Min(owed, bytes);
            if (Interlocked.CompareExchange(ref _owed, owed - take, owed) == owed)
            {
                return Return(take);
            }
        }
    }

    /// <summary>
    /// Gives back <paramref name="bytes"/> of credit no stream holds (DATA for a stream already
    /// closed, or delivered within the bound). Returns the increment to announce now.
    /// </summary>
    public int Return(int bytes)
    {
        if (Interlocked.Add(ref _unreturned, bytes) < _size / 2)
        {
            return 0;
        }

        int grant = Interlocked.Exchange(ref _unreturned, 0);
        if (grant > 0)
        {
            // Widened before the peer is told, so its DATA never arrives first.
            Interlocked.Add(ref _remaining, grant);
        }

        return grant;
    }
}
