using System.Buffers;
using System.Buffers.Binary;
using Gatehouse.Protocol;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>frame-reader</c>: <see cref="FrameReader.TryReadFrame"/> over a stream of frames.
/// Input: <c>cut1 | cut2 | limit | bytes</c>. The bytes are read as one buffer and as three
/// segments split at <c>cut1</c> and <c>cut2</c>; both must give the same frames and the same error.
/// <c>limit</c> picks MAX_FRAME_SIZE. A false return must leave the buffer as it was.
/// </summary>
internal sealed class FrameReaderTarget : FuzzTarget
{
    private static readonly int[] Limits = [64, ProtocolSettings.MinFrameSize, 65_536, ProtocolSettings.MaxFrameSizeLimit];

    public override string Name => "frame-reader";

    public override string Description => "FrameReader.TryReadFrame over one buffer and over split buffers";

    public override bool IsExpected(Exception exception) => exception is ProtocolException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 3)
        {
            return;
        }

        int limit = Limits[input[2] & 3];
        var data = input[3..];
        string whole = ReadAll(new ReadOnlySequence<byte>(data.ToArray()), limit);
        string split = ReadAll(Segments.Split(data, input[..2]), limit);
        FuzzInvariantException.Check(whole == split, $"split buffers read differently:\n  one buffer: {whole}\n  split:      {split}");
        if (whole.EndsWith("!ProtocolException", StringComparison.Ordinal))
        {
            throw new ProtocolException("rejected (the same way in both buffers)");
        }
    }

    /// <summary>Reads every frame; returns a transcript of headers and the outcome.</summary>
    private static string ReadAll(ReadOnlySequence<byte> buffer, int limit)
    {
        var transcript = new System.Text.StringBuilder();
        Span<byte> head = stackalloc byte[FrameHeader.Size];
        try
        {
            while (true)
            {
                var before = buffer;
                if (!FrameReader.TryReadFrame(ref buffer, limit, out var header, out var payload))
                {
                    FuzzInvariantException.Check(buffer.Start.Equals(before.Start) && buffer.Length == before.Length, "a false return consumed bytes");
                    transcript.Append("more");
                    return transcript.ToString();
                }

                FuzzInvariantException.Check(payload.Length == header.Length, $"payload of {payload.Length} bytes for a header saying {header.Length}");
                FuzzInvariantException.Check(before.Length - buffer.Length == FrameHeader.Size + header.Length, "consumed a different number of bytes than the frame holds");
                FuzzInvariantException.Check(header.Length <= limit, $"frame of {header.Length} bytes accepted over the limit {limit}");
                before.Slice(0, FrameHeader.Size).CopyTo(head);
                FuzzInvariantException.Check(header.StreamId == (BinaryPrimitives.ReadUInt32BigEndian(head[5..]) & 0x7FFF_FFFF), "stream id differs from the wire");
                transcript.Append($"{header.Type}/{header.Flags}/{header.StreamId}/{header.Length}/{Checksum(payload)} ");
            }
        }
        catch (ProtocolException e)
        {
            transcript.Append(e.Code).Append(' ').Append(e.Message).Append("!ProtocolException");
            return transcript.ToString();
        }
    }

    private static uint Checksum(ReadOnlySequence<byte> payload)
    {
        uint sum = 17;
        foreach (var segment in payload)
        {
            foreach (byte b in segment.Span)
            {
                sum = (sum * 31) + b;
            }
        }

        return sum;
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        byte[] Prefix(byte cut1, byte cut2, byte limit, byte[] frames) => [cut1, cut2, limit, .. frames];

        var hello = Frames.Build(w => FrameWriter.WriteHello(w, ProtocolSettings.Default));
        yield return ("hello", Prefix(4, 9, 1, hello));
        yield return ("ping", Prefix(3, 12, 1, Frames.Build(w => FrameWriter.WritePing(w, 0x0102030405060708, ack: false))));
        yield return ("window-update", Prefix(1, 2, 1, Frames.Build(w => FrameWriter.WriteWindowUpdate(w, 1, 65_536))));
        yield return ("cancel", Prefix(7, 8, 1, Frames.Build(w => FrameWriter.WriteCancel(w, 3, ErrorCode.Cancelled))));
        yield return ("status-exit", Prefix(5, 10, 1, Frames.Build(w => FrameWriter.WriteStatus(w, 1, CallStatus.Exit(3)))));
        yield return ("status-error", Prefix(2, 14, 1, Frames.Build(w => FrameWriter.WriteStatus(w, 5, CallStatus.Error(ErrorCode.UnknownCommand, "no such command")))));
        yield return ("goaway", Prefix(6, 20, 1, Frames.Build(w => FrameWriter.WriteGoAway(w, 7, ErrorCode.NoError, "draining"))));
        yield return ("data", Prefix(9, 11, 1, Frames.Build(w => FrameWriter.WriteData(w, 1, 1, "hello\n"u8, endStream: true))));
        yield return ("request", Prefix(12, 40, 1, Frames.Build(w => FrameWriter.WriteRequest(w, 1, Frames.SampleHeader, endStream: true, maxFrameSize: 65_536))));
        yield return ("conversation", Prefix(30, 60, 1, Frames.Build(w =>
        {
            FrameWriter.WriteHello(w, ProtocolSettings.Default);
            FrameWriter.WriteRequest(w, 1, Frames.SampleHeader, endStream: false, maxFrameSize: 65_536);
            FrameWriter.WriteData(w, 1, 0, "input"u8, endStream: true);
            FrameWriter.WriteData(w, 1, 1, "out"u8, endStream: false);
            FrameWriter.WriteWindowUpdate(w, 0, 1024);
            FrameWriter.WriteStatus(w, 1, CallStatus.Exit(0));
        })));
        yield return ("partial-header", Prefix(2, 5, 1, hello[..5]));
        yield return ("partial-payload", Prefix(2, 5, 1, hello[..^2]));
        yield return ("too-large", Prefix(1, 3, 0, hello));
        yield return ("unknown-type", Prefix(1, 3, 1, [0, 0, 0, 9, 0, 0, 0, 0, 0]));
        yield return ("ping-on-stream", Prefix(1, 3, 1, [0, 0, 8, 6, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8]));
    }
}
