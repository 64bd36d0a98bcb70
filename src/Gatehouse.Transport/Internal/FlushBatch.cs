namespace Gatehouse.Transport.Internal;

/// <summary>
/// Writers a read loop wrote to while processing one read's frames: their flushes start once the
/// whole read is processed, so frames relayed from many requests of one read leave in one send
/// per connection instead of one each (the read loop would otherwise flush, synchronously, after
/// every relayed frame). Used by one read loop only.
/// </summary>
internal sealed class FlushBatch
{
    [ThreadStatic]
    private static FlushBatch? t_current;

    private readonly List<ConnectionWriter> _writers = [];

    /// <summary>
    /// The batch of the read loop running on this thread, while it processes one read's frames
    /// synchronously (null otherwise): writes made from inside frame processing (an inline request
    /// dispatch, a cancellation callback) join it without being handed it.
    /// </summary>
    public static FlushBatch? Current => t_current;

    /// <summary>Makes this the thread's current batch until <see cref="Run"/>.</summary>
    public void Enter() => t_current = this;

    /// <summary>Remembers a writer whose flush is due (its <see cref="ConnectionWriter.CommitUnsynchronized"/> returned true).</summary>
    public void Add(ConnectionWriter writer) => _writers.Add(writer);

    /// <summary>Leaves the thread's current batch and starts every remembered flush.</summary>
    public void Run()
    {
        t_current = null;
        for (int i = 0; i < _writers.Count; i++)
        {
            _writers[i].StartFlush();
        }

        _writers.Clear();
    }
}
