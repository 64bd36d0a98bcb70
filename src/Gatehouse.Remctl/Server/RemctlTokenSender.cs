using System.IO.Pipelines;
using System.Threading.Channels;
using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Server;

/// <summary>
/// The single writer of one connection (Orleans style): tokens are queued on a bounded single-reader channel
/// and a write loop copies everything queued into the <see cref="PipeWriter"/>, flushing only when the queue is
/// momentarily empty. So OUTPUT and STATUS that are ready together leave in one write, while output produced
/// slowly still leaves at once.
/// </summary>
/// <remarks>
/// Lock order: <see cref="_wrapLock"/> is taken before the channel write, so the order of gss_wrap (which
/// assigns sequence numbers) is the order on the wire. The write loop takes no lock.
/// </remarks>
internal sealed class RemctlTokenSender
{
    private readonly PipeWriter _output;
    private readonly Channel<(RemctlTokenFlags Flags, byte[] Payload)> _queue;
    private readonly SemaphoreSlim _wrapLock = new(1, 1);
    private Task _loop = Task.CompletedTask;

    public RemctlTokenSender(PipeWriter output, int capacity = 32)
    {
        _output = output;
        _queue = Channel.CreateBounded<(RemctlTokenFlags, byte[])>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Starts the write loop.</summary>
    public void Start() => _loop = WriteLoopAsync();

    /// <summary>Queues a raw (context) token.</summary>
    public ValueTask SendTokenAsync(RemctlTokenFlags flags, byte[] payload, CancellationToken cancellationToken)
        => _queue.Writer.WriteAsync((flags, payload), cancellationToken);

    /// <summary>Wraps a plaintext message with <paramref name="context"/> and queues it as a v2 data token.</summary>
    public async ValueTask SendMessageAsync(GssContext context, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        await _wrapLock.WaitAsync(cancellationToken);
        try
        {
            byte[] wrapped = context.Wrap(plaintext.Span);
            await _queue.Writer.WriteAsync((RemctlLimits.DataV2, wrapped), cancellationToken);
        }
        finally
        {
            _wrapLock.Release();
        }
    }

    /// <summary>Stops accepting tokens, writes and flushes everything queued, and waits for the loop.</summary>
    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    /// <summary>The I/O error that stopped the write loop, if any.</summary>
    public Exception? Fault { get; private set; }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                // Let a producer that is about to queue more (STATUS right after OUTPUT) do so first.
                await Task.Yield();
                while (reader.TryRead(out var item))
                {
                    RemctlTokenWriter.WriteToken(_output, item.Flags, item.Payload);
                }

                var result = await _output.FlushAsync();
                if (result.IsCompleted || result.IsCanceled)
                {
                    // The peer is gone; stop accepting so producers fail fast instead of blocking.
                    _queue.Writer.TryComplete();
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The transport failed; producers see the cause through the completed channel.
            Fault = ex;
            _queue.Writer.TryComplete(ex);
        }
    }
}
