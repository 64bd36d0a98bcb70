using System.Buffers;

namespace Gatehouse.Transport.Internal;

/// <summary>
/// Frames waiting to be sent: a chain of pooled arrays that writers append to under the
/// connection writer's lock. The flush loop swaps a full buffer for an empty one and writes each
/// segment to the transport in one call, so many small frames become one TLS record and one
/// syscall. Segments go back to the pool after each send, so an idle connection holds none.
/// </summary>
internal sealed class FrameBuffer : IBufferWriter<byte>
{
    /// <summary>Size of a segment: four TLS records, large enough for one maximum DATA frame.</summary>
    public const int SegmentSize = 64 * 1024;

    private readonly List<(byte[] Array, int Used)> _segments = [];

    /// <summary>Bytes held.</summary>
    public long Length { get; private set; }

    /// <summary>How many segments hold data; <see cref="Segment"/> gives each, in order.</summary>
    public int SegmentCount => _segments.Count;

    public ReadOnlyMemory<byte> Segment(int index)
    {
        var (array, used) = _segments[index];
        return array.AsMemory(0, used);
    }

    public void Advance(int count)
    {
        var (array, used) = _segments[^1];
        _segments[^1] = (array, used + count);
        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        var (array, used) = _segments[^1];
        return array.AsMemory(used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        var (array, used) = _segments[^1];
        return array.AsSpan(used);
    }

    private void EnsureRoom(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_segments.Count == 0 || _segments[^1].Array.Length - _segments[^1].Used < sizeHint)
        {
            _segments.Add((ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, SegmentSize)), 0));
        }
    }

    /// <summary>Returns every segment to the pool and empties the buffer.</summary>
    public void Reset()
    {
        foreach (var (array, _) in _segments)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        _segments.Clear();
        Length = 0;
    }
}
