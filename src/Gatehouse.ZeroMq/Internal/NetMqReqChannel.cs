using Gatehouse.ZeroMq.Protocol;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;

namespace Gatehouse.ZeroMq.Internal;

/// <summary>
/// A NetMQ <see cref="RequestSocket"/> living on the backend's poller thread. All fields except
/// <see cref="_broken"/> are touched on the poller thread only; other threads go through
/// <see cref="PollerHost"/>.
/// </summary>
internal sealed class NetMqReqChannel : IReqChannel
{
    private readonly PollerHost _host;
    private readonly RequestSocket _socket;
    private readonly string _endpoint;
    private readonly ZeroMqReplyLimits _limits;
    private readonly ILogger _logger;
    private TaskCompletionSource<ZeroMqReply>? _pending;
    private ZeroMqReplyReader? _reader;
    private bool _closed;
    private volatile bool _broken;

    private NetMqReqChannel(PollerHost host, RequestSocket socket, string endpoint, ZeroMqReplyLimits limits, ILogger logger)
    {
        _host = host;
        _socket = socket;
        _endpoint = endpoint;
        _limits = limits;
        _logger = logger;
    }

    public string Transport => "tcp";

    public bool IsBroken => _broken;

    /// <summary>Opens a REQ socket connected to <paramref name="endpoint"/> on the poller thread.</summary>
    public static Task<NetMqReqChannel> CreateAsync(PollerHost host, string endpoint, ZeroMqBackendOptions options, ILogger logger) =>
        host.RunAsync(() =>
        {
            ObjectDisposedException.ThrowIf(host.IsClosing, typeof(ZeroMqBackend));
            var socket = new RequestSocket();
            try
            {
                socket.Options.Linger = options.Linger;
                // A single part larger than the whole reply budget is refused by the transport
                // (the peer is disconnected) before it is buffered; the call then times out.
                socket.Options.MaxMsgSize = options.MaxReplyBytes;
                socket.Options.ReconnectInterval = options.ReconnectInterval;
                socket.Connect(endpoint);
            }
            catch
            {
                socket.Options.Linger = TimeSpan.Zero;
                socket.Dispose();
                throw;
            }

            var channel = new NetMqReqChannel(host, socket, endpoint, options.ReplyLimits, logger);
            socket.ReceiveReady += channel.OnReceiveReady;
            host.Poller.Add(socket);
            host.Register(channel);
            return channel;
        });

    public Task<ZeroMqReply> ExchangeAsync(byte[][] request)
    {
        var completion = new TaskCompletionSource<ZeroMqReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_host.TryPost(() => SendOnPollerThread(request, completion)))
        {
            completion.TrySetException(new ObjectDisposedException(nameof(ZeroMqBackend)));
        }

        return completion.Task;
    }

    public void Discard()
    {
        _broken = true;
        // When the post fails the poller has stopped, and shutdown closed every socket already.
        _host.TryPost(() => CloseOnPollerThread(discard: true, reason: "reply abandoned (timeout or cancellation)"));
    }

    public void Close() =>
        _host.TryPost(() => CloseOnPollerThread(discard: false, reason: "backend disposed"));

    /// <summary>Poller thread only. Closes the socket; <paramref name="discard"/> forces linger zero.</summary>
    public void CloseOnPollerThread(bool discard, string reason)
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _broken = true;
        var pending = _pending;
        _pending = null;
        _reader = null;
        pending?.TrySetCanceled();
        _host.Unregister(this);
        _socket.ReceiveReady -= OnReceiveReady;
        if (discard)
        {
            _socket.Options.Linger = TimeSpan.Zero;
            Log.SocketDiscarded(_logger, _endpoint, reason);
        }

        _host.Poller.RemoveAndDispose(_socket);
    }

    private void SendOnPollerThread(byte[][] request, TaskCompletionSource<ZeroMqReply> completion)
    {
        if (_closed)
        {
            completion.TrySetException(new ObjectDisposedException(nameof(ZeroMqBackend)));
            return;
        }

        if (_pending is not null)
        {
            completion.TrySetException(new InvalidOperationException("A REQ socket was given a second request before its reply."));
            return;
        }

        _pending = completion;
        _reader = new ZeroMqReplyReader(_limits);
        try
        {
            for (var i = 0; i < request.Length; i++)
            {
                if (!_socket.TrySendFrame(TimeSpan.Zero, request[i], more: i < request.Length - 1))
                {
                    Fail(new ZeroMqException($"Could not queue the request to {_endpoint}: the socket would block.", _endpoint), "send would block");
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            Fail(new ZeroMqException($"Could not send the request to {_endpoint}: {ex.Message}", _endpoint, ex), "send failed");
        }
    }

    private void OnReceiveReady(object? sender, NetMQSocketEventArgs e)
    {
        var reader = _reader;
        if (reader is null || _broken)
        {
            // A REQ socket only delivers the reply to its last request, so this cannot normally
            // happen; drain what is there so the poller does not spin, and let the close proceed.
            while (_socket.TryReceiveFrameBytes(TimeSpan.Zero, out _, out var more) && more)
            {
                // Dropping the frame is the point: nobody is waiting for it.
            }

            return;
        }

        while (_socket.TryReceiveFrameBytes(TimeSpan.Zero, out var frame, out var more))
        {
            if (!reader.Add(frame))
            {
                Fail(new ZeroMqProtocolException(reader.Error!, _endpoint), "malformed reply");
                return;
            }

            if (!more)
            {
                var completion = _pending;
                _pending = null;
                _reader = null;
                if (reader.TryComplete(out var reply, out var error))
                {
                    completion?.TrySetResult(reply);
                }
                else
                {
                    _pending = completion;
                    Fail(new ZeroMqProtocolException(error, _endpoint), "malformed reply");
                }

                return;
            }
        }
    }

    /// <summary>Poller thread only: fails the pending call and closes the socket (it is not reusable).</summary>
    private void Fail(Exception exception, string reason)
    {
        _broken = true;
        var pending = _pending;
        _pending = null;
        _reader = null;
        pending?.TrySetException(exception);
        // Closed in a separate poller turn, not inside this socket's own event handler.
        _host.TryPost(() => CloseOnPollerThread(discard: true, reason: reason));
    }
}
