using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// The memory pool Kestrel's socket transport and TLS middleware draw their pipe segments from.
/// Kestrel's own pool hands out 4 KiB blocks, and a socket receive or a TLS read never takes more
/// than one block: a 1 MiB message costs about 256 receive calls per direction and as many
/// <c>SslStream</c> reads. Blocks of <see cref="BlockSize"/> (default 64 KiB, four TLS records)
/// let one call move what the kernel has. Idle connections hold no block (Kestrel and the TLS
/// middleware wait with zero-byte reads), so this does not raise the cost of an idle connection.
/// </summary>
/// <remarks>
/// Blocks are pinned arrays (one allocation each, on the pinned object heap) wrapped in a reusable
/// <see cref="MemoryManager{T}"/>, so renting allocates nothing once the pool is warm and pinning
/// for I/O costs nothing. At most <see cref="RetainedBlocks"/> free blocks are kept; beyond that a
/// returned block is left to the GC.
/// </remarks>
internal sealed class ReceiveBlockPool : MemoryPool<byte>
{
    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;
    private long _rented;
    private bool _disposed;

    /// <summary>Free blocks kept per pool unless told otherwise (4 MiB of 64 KiB blocks).</summary>
    public const int DefaultRetainedBlocks = 64;

    public ReceiveBlockPool(int blockSize, int retainedBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 4096);
        ArgumentOutOfRangeException.ThrowIfNegative(retainedBlocks);
        BlockSize = blockSize;
        RetainedBlocks = retainedBlocks;
    }

    /// <summary>Size of every block.</summary>
    public int BlockSize { get; }

    /// <summary>Most free blocks kept for reuse.</summary>
    public int RetainedBlocks { get; }

    /// <summary>Free blocks now held (for tests).</summary>
    internal int FreeCount => Volatile.Read(ref _freeCount);

    /// <summary>Blocks handed out so far (for tests).</summary>
    internal long Rented => Interlocked.Read(ref _rented);

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (minBufferSize > BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"More than the pool's block size ({BlockSize}).");
        }

        Interlocked.Increment(ref _rented);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
            block.Leased = true;
            return block;
        }

        return new Block(this, GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true)) { Leased = true };
    }

    private void Return(Block block)
    {
        if (!block.Leased)
        {
            throw new InvalidOperationException("A pool block was returned twice.");
        }

        block.Leased = false;
        if (_disposed)
        {
            return;
        }

        if (Interlocked.Increment(ref _freeCount) <= RetainedBlocks)
        {
            _free.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _freeCount);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        while (_free.TryDequeue(out _))
        {
        }

        Volatile.Write(ref _freeCount, 0);
    }

    /// <summary>One pinned array, handed out again and again; disposing it returns it to the pool.</summary>
    private sealed class Block(ReceiveBlockPool pool, byte[] array) : MemoryManager<byte>
    {
        public bool Leased;

        public override Span<byte> GetSpan() => array;

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)array.Length, nameof(elementIndex));
            // The array lives on the pinned object heap: its address never changes.
            return new MemoryHandle(Unsafe.Add<byte>(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array)), elementIndex));
        }

        public override void Unpin()
        {
        }

        // Kestrel's socket sender hands multi-segment writes to the socket as array segments.
        protected override bool TryGetArray(out ArraySegment<byte> segment)
        {
            segment = new ArraySegment<byte>(array);
            return true;
        }

        protected override void Dispose(bool disposing) => pool.Return(this);
    }
}

/// <summary>Gives Kestrel a <see cref="ReceiveBlockPool"/> wherever it asks for a pool.</summary>
internal sealed class ReceiveBlockPoolFactory(int blockSize, int retainedBlocks) : IMemoryPoolFactory<byte>
{
    private readonly ConcurrentQueue<ReceiveBlockPool> _pools = new();

    /// <summary>Every pool made so far (Kestrel makes one per I/O queue and listener).</summary>
    internal IReadOnlyCollection<ReceiveBlockPool> Pools => _pools;

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        var pool = new ReceiveBlockPool(blockSize, retainedBlocks);
        _pools.Enqueue(pool);
        return pool;
    }
}
