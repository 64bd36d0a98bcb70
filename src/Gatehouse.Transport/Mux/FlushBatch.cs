namespace Gatehouse.Transport.Mux;

/// <summary>
/// Writers a read loop wrote to while processing one read's frames: their flushes start once the
/// whole read is processed, so frames relayed from many requests of one read leave in one send
/// per connection instead of one each (the read loop would otherwise flush, synchronously, after
/// every relayed frame). Used by one read loop only.
/// </summary>
internal sealed class FlushBatch
{
    private readonly List<ConnectionWriter> _writers = [];

    /// <summary>Remembers a writer whose <see cref="ConnectionWriter.CommitUnsynchronized"/> returned true.</summary>
    public void Add(ConnectionWriter writer) => _writers.Add(writer);

    /// <summary>Starts every remembered flush.</summary>
    public void Run()
    {
        for (int i = 0; i < _writers.Count; i++)
        {
            _writers[i].StartFlush();
        }

        _writers.Clear();
    }
}
