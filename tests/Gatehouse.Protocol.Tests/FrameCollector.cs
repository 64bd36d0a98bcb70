using System.Buffers;
using Gatehouse.Protocol;

namespace Gatehouse.Protocol.Tests;

/// <summary>A parsed frame with its payload copied out, for comparisons.</summary>
internal sealed record ParsedFrame(FrameHeader Header, byte[] Payload);

internal static class FrameCollector
{
    public static byte[] Write(Action<ArrayBufferWriter<byte>> write)
    {
        var w = new ArrayBufferWriter<byte>();
        write(w);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>Parses all frames from a sequence made of the given chunks, as a pipe reader loop would see them arrive.</summary>
    public static List<ParsedFrame> ParseInChunks(IReadOnlyList<byte[]> chunks, int maxFrameSize = 65_536)
    {
        var frames = new List<ParsedFrame>();
        var pending = new List<byte>();
        foreach (var chunk in chunks)
        {
            pending.AddRange(chunk);
            var buffer = new ReadOnlySequence<byte>(pending.ToArray());
            var start = buffer;
            while (FrameReader.TryReadFrame(ref buffer, maxFrameSize, out var header, out var payload))
            {
                frames.Add(new ParsedFrame(header, payload.ToArray()));
            }

            int consumed = (int)(start.Length - buffer.Length);
            pending.RemoveRange(0, consumed);
        }

        Assert.Empty(pending);
        return frames;
    }

    /// <summary>A sequence of many small segments (one byte each), to exercise segment-crossing reads.</summary>
    public static ReadOnlySequence<byte> Fragmented(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (int i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long running)
        {
            Memory = memory;
            RunningIndex = running;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
