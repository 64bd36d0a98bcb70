using System.Buffers;
using System.IO.Pipelines;

namespace Gatehouse.Transport.Connections;

/// <summary>
/// Adapts a <see cref="Stream"/> (an <c>SslStream</c>) to an <see cref="IDuplexPipe"/>. Reads go
/// straight through a <see cref="PipeReader"/>; writes land in a <see cref="Pipe"/> drained by one
/// send loop that coalesces them into buffers of up to 64 KiB, so many small frames become few TLS
/// records and syscalls.
/// </summary>
public sealed class StreamDuplexPipe : IDuplexPipe, IAsyncDisposable
{
    private const int MaxWrite = 64 * 1024;
    private readonly Stream _stream;
    private readonly Pipe _outgoing = new(new PipeOptions(
        readerScheduler: PipeScheduler.ThreadPool,
        writerScheduler: PipeScheduler.ThreadPool,
        pauseWriterThreshold: 4 * 1024 * 1024,
        resumeWriterThreshold: 2 * 1024 * 1024,
        useSynchronizationContext: false));
    private readonly Task _sendLoop;

    public StreamDuplexPipe(Stream stream)
    {
        _stream = stream;
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        _sendLoop = Task.Run(SendLoopAsync);
    }

    public PipeReader Input { get; }

    public PipeWriter Output => _outgoing.Writer;

    private async Task SendLoopAsync()
    {
        PipeReader reader = _outgoing.Reader;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(MaxWrite);
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    while (!buffer.IsEmpty)
                    {
                        if (buffer.IsSingleSegment || buffer.FirstSpan.Length >= MaxWrite)
                        {
                            var first = buffer.First;
                            int n = Math.Min(first.Length, MaxWrite * 4);
                            await _stream.WriteAsync(first[..n]).ConfigureAwait(false);
                            buffer = buffer.Slice(n);
                        }
                        else
                        {
                            int n = (int)Math.Min(buffer.Length, MaxWrite);
                            buffer.Slice(0, n).CopyTo(scratch);
                            await _stream.WriteAsync(scratch.AsMemory(0, n)).ConfigureAwait(false);
                            buffer = buffer.Slice(n);
                        }
                    }

                    await _stream.FlushAsync().ConfigureAwait(false);
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            await reader.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
            await reader.CompleteAsync(ex).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
            // The writer side is done: let the peer see EOF on our direction.
            try
            {
                if (_stream is System.Net.Security.SslStream ssl)
                {
                    await ssl.ShutdownAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
            {
                // The socket is already gone; nothing left to tell the peer.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _outgoing.Writer.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _sendLoop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A peer that stopped reading cannot hold us; closing the stream below unblocks the loop.
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        await Input.CompleteAsync().ConfigureAwait(false);
    }
}
