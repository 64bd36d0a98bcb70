using System.Buffers;
using System.IO.Pipelines;
using Gatehouse.Protocol;

namespace Gatehouse.Transport.Tests;

/// <summary>
/// The far end of a connection, driven frame by frame: writes whatever frames a test builds (valid
/// or hostile) and reads back what the connection under test sends.
/// </summary>
internal sealed class RawPeer(PipeReader input, PipeWriter output) : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A connection under test on one end of in-memory pipes, and a raw peer on the other (not started).</summary>
    public static (DuplexPipe Connection, RawPeer Peer) CreatePair()
    {
        var (a, b) = DuplexPipe.CreatePair();
        return (a, new RawPeer(b.Input, b.Output));
    }

    /// <summary>Writes frames and sends them in one write.</summary>
    public async Task SendAsync(Action<IBufferWriter<byte>> write)
    {
        write(output);
        await output.FlushAsync();
    }

    public Task SendHelloAsync(ProtocolSettings? settings = null) => SendAsync(o => FrameWriter.WriteHello(o, settings ?? ProtocolSettings.Default));

    /// <summary>The next frame, or null when the connection closed its output.</summary>
    public async Task<(FrameHeader Header, byte[] Payload)?> ReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            var result = await input.ReadAsync(timeout.Token);
            var buffer = result.Buffer;
            if (FrameReader.TryReadFrame(ref buffer, 16_777_215, out var header, out var payload))
            {
                var bytes = payload.ToArray();
                input.AdvanceTo(buffer.Start);
                return (header, bytes);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Reads frames until one of <paramref name="type"/> (on <paramref name="streamId"/> if given); null when the output closed first.</summary>
    public async Task<(FrameHeader Header, byte[] Payload)?> ReadUntilAsync(FrameType type, uint? streamId = null)
    {
        while (await ReadFrameAsync() is { } frame)
        {
            if (frame.Header.Type == type && (streamId is null || frame.Header.StreamId == streamId))
            {
                return frame;
            }
        }

        return null;
    }

    /// <summary>Reads frames until <paramref name="bytes"/> bytes of DATA arrived on <paramref name="streamId"/>.</summary>
    public async Task ReadDataAsync(uint streamId, int bytes)
    {
        int seen = 0;
        while (seen < bytes)
        {
            var frame = await ReadUntilAsync(FrameType.Data, streamId);
            Assert.True(frame.HasValue, $"the connection closed after {seen} of {bytes} bytes of DATA on stream {streamId}");
            seen += frame.Value.Payload.Length - 1;
        }

        Assert.Equal(bytes, seen);
    }

    /// <summary>Reads up to the connection's GOAWAY and returns it; fails if the output closed without one.</summary>
    public async Task<GoAway> ReadGoAwayAsync()
    {
        var frame = await ReadUntilAsync(FrameType.GoAway);
        Assert.True(frame.HasValue, "the connection closed without a GOAWAY");
        return ControlPayloads.ReadGoAway(new ReadOnlySequence<byte>(frame.Value.Payload));
    }

    /// <summary>Reads up to the STATUS of <paramref name="streamId"/>; fails if the output closed without one.</summary>
    public async Task<CallStatus> ReadStatusAsync(uint streamId)
    {
        var frame = await ReadUntilAsync(FrameType.Status, streamId);
        Assert.True(frame.HasValue, $"the connection closed without a STATUS on stream {streamId}");
        return ControlPayloads.ReadStatus(new ReadOnlySequence<byte>(frame.Value.Payload), streamId);
    }

    public async ValueTask DisposeAsync()
    {
        await output.CompleteAsync();
        await input.CompleteAsync();
    }
}
