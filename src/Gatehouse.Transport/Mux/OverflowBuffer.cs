using System.Buffers;
using System.IO.Pipelines;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// Where frames go while the transport's flush is pending: a chain of pooled arrays, moved into the
/// <see cref="PipeWriter"/> before the next flush. A pipe must not be appended to while a flush is in
/// progress, so this keeps writers from waiting on the network. Its size is bounded by flow control.
/// </summary>
internal sealed class OverflowBuffer : IBufferWriter<byte>
{
    private const int SegmentSize = 64 * 1024;
    private readonly List<(byte[] Array, int Used)> _segments = [];

    /// <summary>Bytes held.</summary>
    public long Length { get; private set; }

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

    /// <summary>Moves everything into <paramref name="output"/> (not flushed) and empties this buffer.</summary>
    public void MoveTo(PipeWriter output)
    {
        foreach (var (array, used) in _segments)
        {
            output.Write(array.AsSpan(0, used));
            ArrayPool<byte>.Shared.Return(array);
        }

        _segments.Clear();
        Length = 0;
    }
}
