using System.Buffers;
using System.Text;
using Gatehouse.Protocol;

namespace Gatehouse.Protocol.Tests;

public class FrameRoundTripTests
{
    private static RequestHeader SampleRequest(int args = 3) => new()
    {
        Domain = "mail",
        Command = "queue",
        DeadlineMs = 1500,
        Arguments = Enumerable.Range(0, args).Select(i => (ReadOnlyMemory<byte>)new byte[] { 0, (byte)i, 255, 10 }).ToArray(),
        Metadata = [new("REMOTE_USER", "alice@EXAMPLE.ORG"), new("X-Trace.id", "αβγ")],
    };

    /// <summary>One frame of every type, written by FrameWriter.</summary>
    private static byte[] EveryFrame() => FrameCollector.Write(w =>
    {
        FrameWriter.WriteHello(w, ProtocolSettings.Default with { MaxFrameSize = 20_000, KeepAliveIntervalMs = 0 });
        FrameWriter.WriteRequest(w, 1, SampleRequest(), endStream: false, maxFrameSize: 65_536);
        FrameWriter.WriteData(w, 1, 0, "stdin"u8, endStream: true);
        FrameWriter.WriteData(w, 1, 2, "err"u8, endStream: false);
        FrameWriter.WriteStatus(w, 1, CallStatus.Exit(-3));
        FrameWriter.WriteStatus(w, 3, CallStatus.Error(ErrorCode.Access, "no ✓"));
        FrameWriter.WriteWindowUpdate(w, 0, 12345);
        FrameWriter.WriteCancel(w, 5, ErrorCode.DeadlineExceeded);
        FrameWriter.WritePing(w, 0x0102030405060708UL, ack: true);
        FrameWriter.WriteGoAway(w, 7, ErrorCode.UnauthorizedPeer, "who are you");
    });

    [Fact]
    public void Every_frame_type_round_trips()
    {
        var frames = FrameCollector.ParseInChunks([EveryFrame()]);
        Assert.Equal(
            [FrameType.Hello, FrameType.Request, FrameType.Data, FrameType.Data, FrameType.Status, FrameType.Status, FrameType.WindowUpdate, FrameType.Cancel, FrameType.Ping, FrameType.GoAway],
            frames.Select(f => f.Header.Type));

        var hello = ControlPayloads.ReadHello(new(frames[0].Payload));
        Assert.Equal(20_000, hello.MaxFrameSize);
        Assert.Equal(0, hello.KeepAliveIntervalMs);
        Assert.Equal(ProtocolSettings.Default.InitialStreamWindow, hello.InitialStreamWindow);

        Assert.True(frames[1].Header.Has(FrameFlags.EndHeaders));
        Assert.False(frames[1].Header.Has(FrameFlags.EndStream));
        var req = RequestHeaderCodec.Read(new(frames[1].Payload), 10, 1);
        var expected = SampleRequest();
        Assert.Equal(expected.Domain, req.Domain);
        Assert.Equal(expected.Command, req.Command);
        Assert.Equal(1500u, req.DeadlineMs);
        Assert.Equal(expected.Arguments.Select(a => a.ToArray()), req.Arguments.Select(a => a.ToArray()));
        Assert.Equal(expected.Metadata, req.Metadata);
        Assert.Equal("alice@EXAMPLE.ORG", req.GetMetadata("REMOTE_USER"));

        Assert.Equal(0, frames[2].Payload[0]);
        Assert.Equal("stdin", Encoding.ASCII.GetString(frames[2].Payload, 1, 5));
        Assert.True(frames[2].Header.Has(FrameFlags.EndStream));
        Assert.Equal(2, frames[3].Payload[0]);

        Assert.Equal(CallStatus.Exit(-3), ControlPayloads.ReadStatus(new(frames[4].Payload), 1));
        var err = ControlPayloads.ReadStatus(new(frames[5].Payload), 3);
        Assert.Equal(ErrorCode.Access, err.ErrorCode);
        Assert.Equal("no ✓", err.Message);

        Assert.Equal(12345, ControlPayloads.ReadWindowUpdate(new(frames[6].Payload)));
        Assert.Equal(5u, frames[7].Header.StreamId);
        Assert.Equal(ErrorCode.DeadlineExceeded, ControlPayloads.ReadCancel(new(frames[7].Payload)));
        Assert.True(frames[8].Header.Has(FrameFlags.Ack));
        Assert.Equal(0x0102030405060708UL, ControlPayloads.ReadPing(new(frames[8].Payload)));
        var goAway = ControlPayloads.ReadGoAway(new(frames[9].Payload));
        Assert.Equal(new GoAway(7, ErrorCode.UnauthorizedPeer, "who are you"), goAway);
    }

    [Fact]
    public void Input_split_at_every_byte_parses_the_same()
    {
        byte[] all = EveryFrame();
        var whole = FrameCollector.ParseInChunks([all]);
        for (int split = 0; split <= all.Length; split++)
        {
            var parts = FrameCollector.ParseInChunks([all[..split], all[split..]]);
            Assert.Equal(whole.Count, parts.Count);
            for (int i = 0; i < whole.Count; i++)
            {
                Assert.Equal(whole[i].Header, parts[i].Header);
                Assert.Equal(whole[i].Payload, parts[i].Payload);
            }
        }
    }

    [Fact]
    public void Fragmented_sequences_parse_the_same()
    {
        byte[] all = EveryFrame();
        var buffer = FrameCollector.Fragmented(all);
        var frames = new List<ParsedFrame>();
        while (FrameReader.TryReadFrame(ref buffer, 65_536, out var header, out var payload))
        {
            frames.Add(new ParsedFrame(header, payload.ToArray()));
            if (header.Type == FrameType.Request)
            {
                // The header codec must read across one-byte segments too.
                var req = RequestHeaderCodec.Read(payload, 10, header.StreamId);
                Assert.Equal("queue", req.Command);
                Assert.Equal(3, req.Arguments.Count);
            }
        }

        Assert.Equal(10, frames.Count);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Large_header_block_is_split_into_request_frames_and_reassembles()
    {
        var big = SampleRequest() with { Arguments = [new byte[50_000], Encoding.UTF8.GetBytes("tail")] };
        byte[] bytes = FrameCollector.Write(w => FrameWriter.WriteRequest(w, 9, big, endStream: true, maxFrameSize: 16_384));
        var frames = FrameCollector.ParseInChunks([bytes], 16_384);
        Assert.True(frames.Count >= 4);
        Assert.All(frames, f => Assert.Equal(FrameType.Request, f.Header.Type));
        Assert.All(frames, f => Assert.True(f.Header.Has(FrameFlags.EndStream)));
        Assert.All(frames[..^1], f => Assert.False(f.Header.Has(FrameFlags.EndHeaders)));
        Assert.True(frames[^1].Header.Has(FrameFlags.EndHeaders));
        var block = frames.SelectMany(f => f.Payload).ToArray();
        var req = RequestHeaderCodec.Read(new ReadOnlySequence<byte>(block), 10, 9);
        Assert.Equal(50_000, req.Arguments[0].Length);
        Assert.Equal("tail", req.ArgumentString(1));
    }

    [Fact]
    public void Long_status_message_is_cut_on_a_character_boundary()
    {
        string message = string.Concat(Enumerable.Repeat("é", 40_000)); // 80,000 UTF-8 bytes
        byte[] bytes = FrameCollector.Write(w => FrameWriter.WriteStatus(w, 1, CallStatus.Error(ErrorCode.Internal, message)));
        var frame = Assert.Single(FrameCollector.ParseInChunks([bytes], 16_777_215));
        var status = ControlPayloads.ReadStatus(new(frame.Payload), 1);
        Assert.True(status.Message.Length is > 30_000 and <= 32_767);
        Assert.All(status.Message, c => Assert.Equal('é', c));
    }
}
