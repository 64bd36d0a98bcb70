namespace Gatehouse.Chaos.Ledger;

/// <summary>
/// One byte per call id (0, 1, 2, ...), in 1 MiB chunks allocated on first use, so a run of
/// unknown length needs no up-front size and ten million calls cost ten megabytes.
/// Reads and writes of one id are atomic.
/// </summary>
internal sealed class IdTable
{
    private const int ChunkBits = 20;
    private const int ChunkSize = 1 << ChunkBits;
    private byte[]?[] _chunks = new byte[]?[16];
    private readonly Lock _grow = new();

    /// <summary>Sets the byte of <paramref name="id"/> to <paramref name="value"/> if it is 0; returns the value it had.</summary>
    public byte SetIfZero(long id, byte value) => Interlocked.CompareExchange(ref Slot(id), value, 0);

    /// <summary>The byte of <paramref name="id"/> (0 if never set).</summary>
    public byte Get(long id)
    {
        var chunks = Volatile.Read(ref _chunks);
        long c = id >> ChunkBits;
        return c < chunks.Length && chunks[c] is { } chunk ? Volatile.Read(ref chunk[id & (ChunkSize - 1)]) : (byte)0;
    }

    /// <summary>Adds one to the byte of <paramref name="id"/>, stopping at 255; returns the new value.</summary>
    public byte Increment(long id)
    {
        ref byte slot = ref Slot(id);
        while (true)
        {
            byte old = Volatile.Read(ref slot);
            if (old == byte.MaxValue)
            {
                return old;
            }

            if (Interlocked.CompareExchange(ref slot, (byte)(old + 1), old) == old)
            {
                return (byte)(old + 1);
            }
        }
    }

    private ref byte Slot(long id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        long c = id >> ChunkBits;
        var chunks = Volatile.Read(ref _chunks);
        if (c >= chunks.Length || chunks[c] is null)
        {
            lock (_grow)
            {
                chunks = _chunks;
                if (c >= chunks.Length)
                {
                    Array.Resize(ref chunks, (int)Math.Max(c + 1, chunks.Length * 2L));
                }

                chunks[c] ??= new byte[ChunkSize];
                Volatile.Write(ref _chunks, chunks);
            }
        }

        return ref chunks[c]![id & (ChunkSize - 1)];
    }
}
