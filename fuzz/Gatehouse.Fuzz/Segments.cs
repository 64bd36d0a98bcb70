using System.Buffers;

namespace Gatehouse.Fuzz;

/// <summary>
/// Builds multi-segment <see cref="ReadOnlySequence{T}"/>s, as a <c>PipeReader</c> hands them out,
/// so that readers meet headers, lengths and names split across buffers.
/// </summary>
internal static class Segments
{
    /// <summary>
    /// Splits <paramref name="data"/> at the points chosen by <paramref name="choice"/> (each byte
    /// picks one cut, taken modulo the length + 1; duplicates and 0 give empty segments, which
    /// readers must also survive). Every segment is its own array.
    /// </summary>
    public static ReadOnlySequence<byte> Split(ReadOnlySpan<byte> data, ReadOnlySpan<byte> choice)
    {
        Span<int> cuts = stackalloc int[choice.Length + 2];
        cuts[0] = 0;
        for (int i = 0; i < choice.Length; i++)
        {
            cuts[i + 1] = choice[i] % (data.Length + 1);
        }

        cuts[^1] = data.Length;
        cuts[1..^1].Sort();

        Segment? first = null;
        Segment? last = null;
        for (int i = 0; i + 1 < cuts.Length; i++)
        {
            var piece = data[cuts[i]..cuts[i + 1]].ToArray();
            if (first is null)
            {
                first = last = new Segment(piece, 0);
            }
            else
            {
                last = last!.Append(piece);
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>One segment of a sequence built by <see cref="Split"/>.</summary>
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
