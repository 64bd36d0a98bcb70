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
    private readonly TimeSpan _writeTimeout;
    private readonly Action? _onStalled;
    private Task _loop = Task.CompletedTask;

    /// <param name="output">The connection's output.</param>
    /// <param name="capacity">Tokens that may wait to be written before producers wait.</param>
    /// <param name="writeTimeout">Longest one flush may wait for the peer to take data; infinite by default.</param>
    /// <param name="onStalled">Called once when a flush timed out (the owner drops the connection).</param>
    public RemctlTokenSender(PipeWriter output, int capacity = 32, TimeSpan? writeTimeout = null, Action? onStalled = null)
    {
        _output = output;
        _writeTimeout = writeTimeout ?? Timeout.InfiniteTimeSpan;
        _onStalled = onStalled;
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
    public ValueTask SendMessageAsync(GssContext context, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
        => SendMessageAsync(context, plaintext, RemctlLimits.DataV2, cancellationToken);

    /// <summary>Wraps a plaintext message with <paramref name="context"/> and queues it with <paramref name="flags"/> (0x04 in protocol v1).</summary>
    public async ValueTask SendMessageAsync(GssContext context, ReadOnlyMemory<byte> plaintext, RemctlTokenFlags flags, CancellationToken cancellationToken)
    {
        await _wrapLock.WaitAsync(cancellationToken);
        try
        {
            byte[] wrapped = context.Wrap(plaintext.Span);
            await _queue.Writer.WriteAsync((flags, wrapped), cancellationToken);
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
        // One source for every flush: armed before, reset after (no allocation per flush).
        var stall = new CancellationTokenSource();
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

                if (_writeTimeout != Timeout.InfiniteTimeSpan)
                {
                    stall.CancelAfter(_writeTimeout);
                }

                var result = await _output.FlushAsync(stall.Token);
                if (!stall.TryReset())
                {
                    // The timer fired as the flush finished: the peer did take the data, so this is no
                    // stall. A fired source cannot be re-armed; the next flush gets a new one.
                    stall.Dispose();
                    stall = new CancellationTokenSource();
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    // The peer is gone; stop accepting so producers fail fast instead of blocking.
                    _queue.Writer.TryComplete();
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stall.IsCancellationRequested)
        {
            // The peer took nothing for the whole write timeout: producers fail, the owner drops the connection.
            var ex = new TimeoutException($"The client read nothing for {_writeTimeout}");
            Fault = ex;
            _queue.Writer.TryComplete(ex);
            _onStalled?.Invoke();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The transport failed; producers see the cause through the completed channel.
            Fault = ex;
            _queue.Writer.TryComplete(ex);
        }
        finally
        {
            stall.Dispose();
        }
    }
}
