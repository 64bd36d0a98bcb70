using System.Buffers;

namespace Gatehouse.Remctl.Tests.Protocol;

/// <summary>Builds a ReadOnlySequence from several segments, to split input at chosen byte boundaries.</summary>
internal sealed class Segment : ReadOnlySequenceSegment<byte>
{
    public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
    {
        Memory = memory;
        if (previous is not null)
        {
            previous.Next = this;
            RunningIndex = previous.RunningIndex + previous.Memory.Length;
        }
    }

    public static ReadOnlySequence<byte> Create(params ReadOnlyMemory<byte>[] parts)
    {
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(parts[0], null);
        var last = first;
        foreach (var part in parts.Skip(1))
        {
            last = new Segment(part, last);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
