namespace Gatehouse.Commands.Exec;

/// <summary>
/// Counts the output bytes the runner holds: read from a child's socket but not yet accepted by
/// <see cref="ICommandOutput.WriteAsync"/>. Thread-safe. Used to prove the memory bound in tests.
/// </summary>
internal sealed class OutputMeter
{
    private long current;
    private long peak;
    private long total;

    /// <summary>The most bytes held at once.</summary>
    public long Peak => Interlocked.Read(ref peak);

    /// <summary>All bytes forwarded.</summary>
    public long Total => Interlocked.Read(ref total);

    /// <summary>Records <paramref name="count"/> bytes read and not yet delivered.</summary>
    public void Hold(int count)
    {
        long now = Interlocked.Add(ref current, count);
        long seen;
        while (now > (seen = Interlocked.Read(ref peak)) && Interlocked.CompareExchange(ref peak, now, seen) != seen)
        {
            // Another thread raised the peak meanwhile: compare again.
        }
    }

    /// <summary>Records that <paramref name="count"/> held bytes were delivered (or dropped).</summary>
    public void Release(int count)
    {
        Interlocked.Add(ref current, -count);
        Interlocked.Add(ref total, count);
    }
}
