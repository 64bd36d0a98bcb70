using System.Buffers;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Tests;

/// <summary>
/// A peer that breaks docs/protocol.md, frame by frame (a <see cref="RawPeer"/> against a real
/// <see cref="MuxConnection"/>): each violation gets the documented error code, and a connection
/// error ends the connection with GOAWAY while a stream error ends only that stream.
/// </summary>
public class HostileFrameTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly RequestHeader Req = new() { Domain = "d", Command = "c" };

    /// <summary>A connection under test that accepted (the raw peer dialed: odd stream ids), both HELLOs exchanged.</summary>
    private static async Task<(MuxConnection Connection, RawPeer Peer)> AcceptAsync(Action<MuxStream> onRequest, MuxOptions? options = null)
    {
        var (pipe, peer) = RawPeer.CreatePair();
        var connection = new MuxConnection(pipe, isDialer: false, options, onRequest: onRequest);
        var started = connection.StartAsync();
        await peer.SendHelloAsync();
        await started.WaitAsync(Timeout);
        Assert.NotNull(await peer.ReadUntilAsync(FrameType.Hello));
        return (connection, peer);
    }

    private static async Task AssertConnectionErrorAsync(MuxConnection connection, RawPeer peer, ErrorCode code)
    {
        var goAway = await peer.ReadGoAwayAsync();
        Assert.Equal(code, goAway.Code);
        await connection.Completion.WaitAsync(Timeout);
        Assert.Equal(code, connection.CloseReason.ErrorCode);
    }

    /// <summary>The connection still works: a PING is answered.</summary>
    private static async Task AssertAliveAsync(MuxConnection connection, RawPeer peer)
    {
        await peer.SendAsync(o => FrameWriter.WritePing(o, 0x1234, ack: false));
        var ack = await peer.ReadUntilAsync(FrameType.Ping);
        Assert.NotNull(ack);
        Assert.True(ack.Value.Header.Has(FrameFlags.Ack));
        Assert.False(connection.IsGoingAway);
    }

    private static Action<MuxStream> Hold(List<MuxStream> held) => s =>
    {
        lock (held)
        {
            held.Add(s);
        }
    };

    [Fact]
    public async Task Data_beyond_the_stream_window_is_a_connection_flow_control_error_and_aborts_open_streams()
    {
        var held = new List<MuxStream>();
        var options = new MuxOptions { Settings = ProtocolSettings.Default with { InitialStreamWindow = 16_384 } };
        var (connection, peer) = await AcceptAsync(Hold(held), options);
        await using var _c = connection;
        await using var _p = peer;
        await peer.SendAsync(o => FrameWriter.WriteRequest(o, 1, Req, endStream: false, 65_536));
        await peer.SendAsync(o => FrameWriter.WriteData(o, 1, 0, new byte[16_384], endStream: false));
        await StreamEndTests.WaitUntilAsync(() => connection.InboundHeld == 16_384);
        await peer.SendAsync(o => FrameWriter.WriteData(o, 1, 0, new byte[1], endStream: false));
        await AssertConnectionErrorAsync(connection, peer, ErrorCode.FlowControlError);
        Assert.True(held.Single().Aborted.IsCancellationRequested);
    }

    [Fact]
    public async Task Data_beyond_the_connection_window_is_a_connection_flow_control_error()
    {
        // Connection credit withheld from the start (MaxBufferedInput 0), so the 64 KiB window only shrinks.
        var options = new MuxOptions { Settings = ProtocolSettings.Default with { ConnectionWindow = 65_536 }, MaxBufferedInput = 0 };
        var (connection, peer) = await AcceptAsync(Hold([]), options);
        await using var _c = connection;
        await using var _p = peer;
        await peer.SendAsync(o =>
        {
            FrameWriter.WriteRequest(o, 1, Req, endStream: false, 65_536);
            FrameWriter.WriteRequest(o, 3, Req, endStream: false, 65_536);
            FrameWriter.WriteData(o, 1, 0, new byte[40_000], endStream: false);
            FrameWriter.WriteData(o, 3, 0, new byte[40_000], endStream: false);
        });
        await AssertConnectionErrorAsync(connection, peer, ErrorCode.FlowControlError);
        Assert.Contains("connection window", connection.CloseReason.Message);
    }

    [Theory]
    [InlineData(FrameType.Request)]
    [InlineData(FrameType.Data)]
    [InlineData(FrameType.WindowUpdate)]
    [InlineData(FrameType.Ping)]
    [InlineData(FrameType.Cancel)]
    public async Task A_frame_before_the_peers_hello_is_a_connection_protocol_error(FrameType type)
    {
        var (pipe, peer) = RawPeer.CreatePair();
        await using var _p = peer;
        await using var connection = new MuxConnection(pipe, isDialer: false, onRequest: s => s.Complete(CallStatus.Exit(0)));
        var started = connection.StartAsync();
        await peer.SendAsync(o =>
        {
            switch (type)
            {
                case FrameType.Request: FrameWriter.WriteRequest(o, 1, Req, endStream: true, 65_536); break;
                case FrameType.Data: FrameWriter.WriteData(o, 1, 0, new byte[10], endStream: false); break;
                case FrameType.WindowUpdate: FrameWriter.WriteWindowUpdate(o, 0, 1000); break;
                case FrameType.Ping: FrameWriter.WritePing(o, 7, ack: false); break;
                case FrameType.Cancel: FrameWriter.WriteCancel(o, 1, ErrorCode.Cancelled); break;
            }

            FrameWriter.WriteHello(o, ProtocolSettings.Default);
        });
        var ex = await Assert.ThrowsAsync<ConnectionClosedException>(() => started.WaitAsync(Timeout));
        Assert.Equal(ErrorCode.ProtocolError, ex.Reason.ErrorCode);
        Assert.Contains("before HELLO", ex.Message);
        await AssertConnectionErrorAsync(connection, peer, ErrorCode.ProtocolError);
    }

    [Theory]
    [InlineData(1u, 1u)]   // the same id again, after its stream ended
    [InlineData(5u, 3u)]   // a lower id
    [InlineData(1u, 4u)]   // the acceptor's parity
    public async Task A_request_on_a_reused_lower_or_wrong_parity_id_is_a_connection_protocol_error(uint first, uint second)
    {
        var (connection, peer) = await AcceptAsync(s => s.Complete(CallStatus.Exit(0)));
        await using var _c = connection;
        await using var _p = peer;
        await peer.SendAsync(o => FrameWriter.WriteRequest(o, first, Req, endStream: true, 65_536));
        Assert.Equal(CallStatus.Exit(0), await peer.ReadStatusAsync(first));
        await peer.SendAsync(o => FrameWriter.WriteRequest(o, second, Req, endStream: true, 65_536));
        await AssertConnectionErrorAsync(connection, peer, ErrorCode.ProtocolError);
        Assert.Contains($"REQUEST on stream {second}", connection.CloseReason.Message);
    }

    [Fact]
    public async Task Data_on_a_stream_never_opened_is_a_connection_protocol_error_but_on_a_closed_one_is_ignored()
    {
        var (connection, peer) = await AcceptAsync(s => s.Complete(CallStatus.Exit(0)));
        await using var _c = connection;
        await using var _p = peer;
        await peer.SendAsync(o => FrameWriter.WriteRequest(o, 1, Req, endStream: false, 65_536));
        Assert.Equal(CallStatus.Exit(0), await peer.ReadStatusAsync(1));

        // Stdin still in flight after the STATUS is discarded (protocol.md 2.4), window updates too.
        await peer.SendAsync(o =>
        {
            FrameWriter.WriteData(o, 1, 0, new byte[100], endStream: true);
            FrameWriter.WriteWindowUpdate(o, 1, 100);
        });
        await AssertAliveAsync(connection, peer);

        await peer.SendAsync(o => FrameWriter.WriteData(o, 7, 0, new byte[100], endStream: false));
        await AssertConnectionErrorAsync(connection, peer, ErrorCode.ProtocolError);
        Assert.Contains("never opened", connection.CloseReason.Message);
    }

    /// <summary>A header block that needs three REQUEST frames at the minimum frame size.</summary>
    private static List<byte[]> SplitRequest(uint id)
    {
        var header = Req with { Arguments = [new byte[40_000]] };
        var buffer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteRequest(buffer, id, header, endStream: true, ProtocolSettings.MinFrameSize);
        var frames = new List<byte[]>();
        var rest = new ReadOnlySequence<byte>(buffer.WrittenMemory);
        while (!rest.IsEmpty)
        {
            var before = rest;
            Assert.True(FrameReader.TryReadFrame(ref rest, ProtocolSettings.MaxFrameSizeLimit, out _, out _));
            frames.Add(before.Slice(0, before.Length - rest.Length).ToArray());
        }

        Assert.Equal(3, frames.Count);
        return frames;
    }

    [Theory]
    [InlineData(FrameType.Request)]
    [InlineData(FrameType.Data)]
    [InlineData(FrameType.Ping)]
    public async Task Any_frame_inside_a_split_header_block_is_a_connection_protocol_error(FrameType intruder)
    {
        var (connection, peer) = await AcceptAsync(s => s.Complete(CallStatus.Exit(s.Header.Arguments[0].Length)));
        await using var _c = connection;
        await using var _p = peer;

        // A split header block in one piece is served.
        foreach (var frame in SplitRequest(1))
        {
            await peer.SendAsync(o => o.Write(frame));
        }

        Assert.Equal(CallStatus.Exit(40_000), await peer.ReadStatusAsync(1));

        // Another frame between the parts of stream 3's block is not.
        var parts = SplitRequest(3);
        await peer.SendAsync(o =>
        {
            o.Write(parts[0]);
            switch (intruder)
            {
                case FrameType.Request: FrameWriter.WriteRequest(o, 5, Req, endStream: true, 65_536); break;
                case FrameType.Data: FrameWriter.WriteData(o, 3, 0, new byte[10], endStream: false); break;
                case FrameType.Ping: FrameWriter.WritePing(o, 9, ack: false); break;
            }

            o.Write(parts[1]);
            o.Write(parts[2]);
        });
        await AssertConnectionErrorAsync(connection, peer, ErrorCode.ProtocolError);
        Assert.Contains("inside the header block of stream 3", connection.CloseReason.Message);
    }

    [Fact]
    public async Task A_window_update_of_zero_on_the_connection_is_a_connection_flow_control_error()
    {
        var (connection, peer) = await AcceptAsync(Hold([]));
        await using var _c = connection;
        await using var _p = peer;
        await peer.SendAsync(o => FrameWriter.WriteWindowUpdate(o, 0, 0));
        await AssertConnectionErrorAsync(connection, peer, ErrorCode.FlowControlError);
    }

    [Fact]
    public async Task A_connection_window_pushed_past_2_pow_31_minus_1_is_a_connection_flow_control_error()
    {
        var (connection, peer) = await AcceptAsync(Hold([]));
        await using var _c = connection;
        await using var _p = peer;

        // Up to exactly 2^31-1 is fine.
        await peer.SendAsync(o => FrameWriter.WriteWindowUpdate(o, 0, ProtocolSettings.MaxWindow - ProtocolSettings.Default.ConnectionWindow));
        await AssertAliveAsync(connection, peer);
        await peer.SendAsync(o => FrameWriter.WriteWindowUpdate(o, 0, 1));
        await AssertConnectionErrorAsync(connection, peer, ErrorCode.FlowControlError);
        Assert.Contains("2^31-1", connection.CloseReason.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(ProtocolSettings.MaxWindow)]
    public async Task A_bad_window_update_on_a_stream_the_peer_opened_ends_only_that_stream_with_a_status(int increment)
    {
        var held = new List<MuxStream>();
        var (connection, peer) = await AcceptAsync(s =>
        {
            if (s.Id == 1)
            {
                Hold(held)(s);
            }
            else
            {
                s.Complete(CallStatus.Exit(0));
            }
        });
        await using var _c = connection;
        await using var _p = peer;
        await peer.SendAsync(o => FrameWriter.WriteRequest(o, 1, Req, endStream: true, 65_536));
        await StreamEndTests.WaitUntilAsync(() => held.Count == 1);
        var stream = held[0];

        // The stream's send window is the raw peer's initial 1 MiB: 2^31-1 more overflows it.
        await peer.SendAsync(o => FrameWriter.WriteWindowUpdate(o, 1, increment));
        var status = await peer.ReadStatusAsync(1);
        Assert.Equal(ErrorCode.FlowControlError, status.ErrorCode);
        Assert.True(stream.Aborted.IsCancellationRequested);
        Assert.False(stream.Complete(CallStatus.Exit(0)));

        // Only the stream ended: the connection serves the next request.
        await AssertAliveAsync(connection, peer);
        await peer.SendAsync(o => FrameWriter.WriteRequest(o, 3, Req, endStream: true, 65_536));
        Assert.Equal(CallStatus.Exit(0), await peer.ReadStatusAsync(3));
    }

    [Fact]
    public async Task A_writer_waiting_for_credit_is_released_by_a_stream_error_on_its_stream()
    {
        var held = new List<MuxStream>();
        var (connection, peer) = await AcceptAsync(Hold(held));
        await using var _c = connection;
        await using var _p = peer;
        await peer.SendAsync(o => FrameWriter.WriteRequest(o, 1, Req, endStream: true, 65_536));
        await StreamEndTests.WaitUntilAsync(() => held.Count == 1);

        // One byte more than the window: the writer sends the window's worth, then waits.
        int window = ProtocolSettings.Default.InitialStreamWindow;
        var writing = held[0].WriteAsync(1, new byte[window + 1]).AsTask();
        await peer.ReadDataAsync(1, window);
        Assert.False(writing.IsCompleted);

        await peer.SendAsync(o => FrameWriter.WriteWindowUpdate(o, 1, 0));
        Assert.Equal(ErrorCode.FlowControlError, (await peer.ReadStatusAsync(1)).ErrorCode);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writing.WaitAsync(Timeout));
        await AssertAliveAsync(connection, peer);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(ProtocolSettings.MaxWindow)]
    public async Task A_bad_window_update_on_a_stream_this_side_opened_cancels_it_and_ends_it_locally(int increment)
    {
        var (connection, peer) = await AcceptAsync(Hold([]));
        await using var _c = connection;
        await using var _p = peer;
        var stream = await connection.OpenStreamAsync(Req, endStream: false);
        Assert.NotNull(await peer.ReadUntilAsync(FrameType.Request, stream.Id));
        await peer.SendAsync(o => FrameWriter.WriteWindowUpdate(o, stream.Id, increment));

        var cancel = await peer.ReadUntilAsync(FrameType.Cancel, stream.Id);
        Assert.NotNull(cancel);
        Assert.Equal(ErrorCode.FlowControlError, ControlPayloads.ReadCancel(new ReadOnlySequence<byte>(cancel.Value.Payload)));
        var status = await stream.ReadToStatusAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(ErrorCode.FlowControlError, status.ErrorCode);
        await AssertAliveAsync(connection, peer);
    }

    [Fact]
    public async Task A_writer_waiting_for_credit_is_released_when_the_connection_closes()
    {
        var (connection, peer) = await AcceptAsync(Hold([]));
        await using var _p = peer;

        // The raw peer announced the default stream window (1 MiB) and never grants more.
        int window = ProtocolSettings.Default.InitialStreamWindow;
        var stream = await connection.OpenStreamAsync(Req, endStream: false);
        var writing = stream.WriteAsync(0, new byte[window + 1]).AsTask();
        await peer.ReadDataAsync(stream.Id, window);
        Assert.False(writing.IsCompleted);
        await connection.AbortAsync(CallStatus.Error(ErrorCode.ShuttingDown, "closing under a waiting writer"));
        var ex = await Assert.ThrowsAsync<ConnectionClosedException>(() => writing.WaitAsync(Timeout));
        Assert.Equal(ErrorCode.ShuttingDown, ex.Reason.ErrorCode);
        await connection.DisposeAsync();
    }
}
