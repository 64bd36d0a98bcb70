using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gatehouse.ZeroMq.Internal;

/// <summary>
/// The REQ channels of one endpoint: at most <c>PoolSizePerEndpoint</c> of them, each carrying
/// one call at a time; callers beyond that wait (FIFO-ish, <see cref="SemaphoreSlim"/>) up to
/// <c>MaxQueuedCallsPerEndpoint</c>. A channel whose call timed out, was cancelled, or got a
/// malformed reply is discarded; the next call opens a new one. Thread-safe.
/// </summary>
internal sealed class EndpointPool : IDisposable
{
    private readonly string _endpoint;
    private readonly ZeroMqBackendOptions _options;
    private readonly Func<CancellationToken, Task<IReqChannel>> _open;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentStack<IReqChannel> _idle = new();
    private int _admitted;
    private int _busy;
    private long _created;
    private long _discarded;
    private long _calls;
    private long _timeouts;
    private long _protocolErrors;

    public EndpointPool(string endpoint, ZeroMqBackendOptions options, Func<CancellationToken, Task<IReqChannel>> open, ILogger logger)
    {
        _endpoint = endpoint;
        _options = options;
        _open = open;
        _logger = logger;
        _slots = new SemaphoreSlim(options.PoolSizePerEndpoint, options.PoolSizePerEndpoint);
    }

    /// <summary>
    /// Runs one call. <paramref name="callToken"/> is the caller's token; <paramref name="disposeToken"/>
    /// fires when the backend is disposed.
    /// </summary>
    public async Task<ZeroMqReply> CallAsync(byte[][] request, TimeSpan timeout, CancellationToken callToken, CancellationToken disposeToken)
    {
        var limit = _options.PoolSizePerEndpoint + _options.MaxQueuedCallsPerEndpoint;
        if (Interlocked.Increment(ref _admitted) > limit)
        {
            Interlocked.Decrement(ref _admitted);
            Log.CallRefusedBusy(_logger, _endpoint, _options.MaxQueuedCallsPerEndpoint);
            throw new ZeroMqBackendBusyException(
                $"ZeroMQ endpoint {_endpoint} is busy: {_options.PoolSizePerEndpoint} calls in flight and {_options.MaxQueuedCallsPerEndpoint} waiting.",
                _endpoint);
        }

        Interlocked.Increment(ref _calls);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(callToken, disposeToken);
        linked.CancelAfter(timeout);
        var token = linked.Token;
        try
        {
            try
            {
                await _slots.WaitAsync(token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                throw Stopped(callToken, disposeToken, timeout, requestSent: false);
            }

            try
            {
                return await CallOnChannelAsync(request, timeout, token, callToken, disposeToken);
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _admitted);
        }
    }

    public ZeroMqEndpointStatistics GetStatistics() => new(
        _endpoint,
        IdleSockets: _idle.Count,
        BusySockets: Volatile.Read(ref _busy),
        QueuedCalls: Math.Max(0, Volatile.Read(ref _admitted) - Volatile.Read(ref _busy)),
        SocketsOpened: Interlocked.Read(ref _created),
        SocketsDiscarded: Interlocked.Read(ref _discarded),
        Calls: Interlocked.Read(ref _calls),
        Timeouts: Interlocked.Read(ref _timeouts),
        ProtocolErrors: Interlocked.Read(ref _protocolErrors));

    /// <summary>Closes the idle channels (busy ones are discarded by their callers, who see the dispose token).</summary>
    public void Dispose()
    {
        while (_idle.TryPop(out var channel))
        {
            channel.Close();
        }

        // _slots is not disposed: callers still in flight release it in their finally blocks, and a
        // SemaphoreSlim whose AvailableWaitHandle is never used holds no unmanaged resource.
    }

    private async Task<ZeroMqReply> CallOnChannelAsync(
        byte[][] request, TimeSpan timeout, CancellationToken token, CancellationToken callToken, CancellationToken disposeToken)
    {
        IReqChannel? channel = null;
        var keep = false;
        Interlocked.Increment(ref _busy);
        try
        {
            channel = await TakeChannelAsync(timeout, token, callToken, disposeToken);
            var exchange = channel.ExchangeAsync(request);
            try
            {
                var reply = await exchange.WaitAsync(token);
                keep = !channel.IsBroken;
                return reply;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested && !exchange.IsCompletedSuccessfully)
            {
                // The reply is lost for this call: the channel is discarded below, and the exchange's
                // eventual outcome is observed here so it never surfaces as an unobserved exception.
                _ = exchange.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw Stopped(callToken, disposeToken, timeout, requestSent: true);
            }
            catch (ZeroMqProtocolException ex)
            {
                Interlocked.Increment(ref _protocolErrors);
                Log.MalformedReply(_logger, _endpoint, ex.Error.Message);
                throw;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _busy);
            if (channel is not null)
            {
                if (keep && !disposeToken.IsCancellationRequested)
                {
                    _idle.Push(channel);
                }
                else
                {
                    Interlocked.Increment(ref _discarded);
                    channel.Discard();
                }
            }
        }
    }

    private async Task<IReqChannel> TakeChannelAsync(TimeSpan timeout, CancellationToken token, CancellationToken callToken, CancellationToken disposeToken)
    {
        while (_idle.TryPop(out var idle))
        {
            if (!idle.IsBroken)
            {
                return idle;
            }

            Interlocked.Increment(ref _discarded);
            idle.Discard();
        }

        Task<IReqChannel> opening;
        try
        {
            opening = _open(token);
        }
        catch (Exception ex) when (ex is not ObjectDisposedException)
        {
            throw new ZeroMqException($"Could not open a socket to {_endpoint}: {ex.Message}", _endpoint, ex);
        }

        try
        {
            var channel = await opening.WaitAsync(token);
            Interlocked.Increment(ref _created);
            Log.SocketOpened(_logger, channel.Transport, _endpoint);
            return channel;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Whatever the opening yields later is closed at once: nobody will use it.
            _ = opening.ContinueWith(
                static t =>
                {
                    if (t.IsCompletedSuccessfully)
                    {
                        t.Result.Discard();
                    }

                    return t.Exception;
                },
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
            throw Stopped(callToken, disposeToken, timeout, requestSent: false);
        }
        catch (Exception ex) when (ex is not ObjectDisposedException and not ZeroMqException)
        {
            throw new ZeroMqException($"Could not open a socket to {_endpoint}: {ex.Message}", _endpoint, ex);
        }
    }

    /// <summary>Turns the firing of the linked token into the right exception for the caller.</summary>
    private Exception Stopped(CancellationToken callToken, CancellationToken disposeToken, TimeSpan timeout, bool requestSent)
    {
        if (callToken.IsCancellationRequested)
        {
            return new OperationCanceledException("The ZeroMQ call was cancelled.", callToken);
        }

        if (disposeToken.IsCancellationRequested)
        {
            return new ObjectDisposedException(nameof(ZeroMqBackend), "The ZeroMQ backend was disposed during the call.");
        }

        Interlocked.Increment(ref _timeouts);
        Log.CallTimedOut(_logger, _endpoint, timeout, requestSent);
        var what = requestSent ? "no reply" : "no free socket";
        return new ZeroMqTimeoutException(
            $"ZeroMQ call to {_endpoint} timed out after {timeout.TotalSeconds:0.###} s: {what}.",
            _endpoint,
            timeout,
            requestSent);
    }
}
