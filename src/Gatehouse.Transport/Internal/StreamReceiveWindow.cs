namespace Gatehouse.Transport.Internal;

/// <summary>
/// One stream's receive window (docs/protocol.md section 3): the credit the peer still has for
/// this stream, and the bytes the application consumed and this side has not yet given back.
/// Credit goes back in WINDOW_UPDATEs of at least half the window (fewer small frames). A mutable
/// struct kept in a field of the stream (no extra allocation); the read loop charges it, consumers
/// on any thread return credit (Interlocked).
/// </summary>
internal struct StreamReceiveWindow
{
    private readonly int _size;
    private int _remaining;
    private int _unreturned;

    /// <param name="size">This side's INITIAL_STREAM_WINDOW (1 .. 2^31-1).</param>
    public StreamReceiveWindow(int size)
    {
        _size = size;
        _remaining = size;
    }

    /// <summary>Credit the peer has left for this stream.</summary>
    public int Remaining => Volatile.Read(ref _remaining);

    /// <summary>Read loop: charges <paramref name="bytes"/> of inbound DATA; false when the peer sent more than it was granted.</summary>
    public bool TryConsume(int bytes) => Interlocked.Add(ref _remaining, -bytes) >= 0;

    /// <summary>
    /// The application consumed <paramref name="bytes"/>: returns the increment to announce in a
    /// WINDOW_UPDATE now, or 0 while less than half the window is owed. The window is widened
    /// before this returns, so the peer's DATA can never arrive ahead of it.
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
            Interlocked.Add(ref _remaining, grant);
        }

        return grant;
    }
}
