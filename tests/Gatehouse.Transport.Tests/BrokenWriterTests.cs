using System.IO.Pipelines;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Tests;

/// <summary>
/// Found by the chaos soak: when a send failed, the writer only marked itself broken and left closing
/// to the read loop, so a half-open connection stayed "open" and callers kept opening streams on it
/// (17,785 calls failed in microseconds during one gateway drain). A failed send now closes the
/// connection at once.
/// </summary>
public sealed class BrokenWriterTests
{
    [Fact]
    public async Task A_failed_send_closes_the_connection_at_once_even_while_the_peer_sends_nothing()
    {
        var input = new Pipe();
        var output = new FailingStream();
        await using var connection = new MuxConnection(new MuxTransport(input.Reader, output, () => ValueTask.CompletedTask), isDialer: true);
        var started = connection.StartAsync();
        FrameWriter.WriteHello(input.Writer, ProtocolSettings.Default);
        await input.Writer.FlushAsync();
        await started;

        // Our HELLO may still be waiting for its flush (queued to the thread pool): let it go out first.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (connection.OutboundQueued > 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "HELLO was never sent");
            await Task.Delay(10);
        }

        output.Fail = true;
        var stream = await connection.OpenStreamAsync(new RequestHeader { Domain = "d", Command = "c" }, endStream: true);

        // The read side stays silent (a half-open socket): only the failed send can end the connection.
        await connection.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(connection.IsGoingAway);
        Assert.Contains("write to the peer failed", connection.CloseReason.Message);
        var status = await stream.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(StreamEventKind.Status, status.Kind);
        Assert.Equal(ErrorCode.BackendFailed, status.Status.ErrorCode);
        await Assert.ThrowsAnyAsync<Exception>(async () => await connection.OpenStreamAsync(new RequestHeader { Domain = "d", Command = "c" }, endStream: true));
    }

    private sealed class FailingStream : Stream
    {
        public volatile bool Fail;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            Fail ? ValueTask.FromException(new IOException("Broken pipe")) : ValueTask.CompletedTask;

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush() { }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
