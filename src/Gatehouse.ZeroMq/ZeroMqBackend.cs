using System.Collections.Concurrent;
using Gatehouse.ZeroMq.Internal;
using Gatehouse.ZeroMq.Internal.Zmtp;
using Gatehouse.ZeroMq.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.ZeroMq;

/// <summary>
/// Client for seed-004 ZeroMQ backends: sends <c>ARGUMENT|n|...|ENVIRONMENT|m|...</c> to a REP (or
/// ROUTER) peer and decodes its <c>OUTPUT</c>/<c>RETURNCODE</c>/<c>ERRORCODE</c> reply.
/// </summary>
/// <remarks>
/// Thread-safe. Each endpoint gets a pool of REQ sockets (see
/// <see cref="ZeroMqBackendOptions.PoolSizePerEndpoint"/>), opened on demand; a socket whose reply
/// timed out, was cancelled or was malformed is discarded and replaced, never reused. tcp://
/// endpoints use NetMQ sockets owned by one poller thread; ipc:// endpoints use a built-in ZMTP 3.0
/// client over a Unix domain socket, because NetMQ's ipc:// is TCP in disguise and cannot reach a
/// libzmq daemon's Unix socket.
/// </remarks>
public sealed class ZeroMqBackend : IAsyncDisposable
{
    private readonly ZeroMqBackendOptions _options;
    private readonly ILogger _logger;
    private readonly PollerHost _poller;
    private readonly ConcurrentDictionary<string, EndpointPool> _pools = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposing = new();
    private int _disposed;

    /// <summary>Creates a backend client; no socket is opened until the first call.</summary>
    /// <param name="options">Settings; <see cref="ZeroMqBackendOptions.Default"/> when null.</param>
    /// <param name="logger">Logger for socket and failure events; none when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public ZeroMqBackend(ZeroMqBackendOptions? options = null, ILogger? logger = null)
    {
        _options = options ?? ZeroMqBackendOptions.Default;
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
        _poller = new PollerHost(_logger);
    }

    /// <summary>The settings in force.</summary>
    public ZeroMqBackendOptions Options => _options;

    /// <summary>
    /// Runs one command on the backend at <paramref name="endpoint"/> and returns its decoded reply.
    /// </summary>
    /// <param name="endpoint"><c>tcp://host:port</c> or <c>ipc:///path/to/socket</c>.</param>
    /// <param name="arguments">The subcommand first, then the arguments (remctl convention); binary-safe.</param>
    /// <param name="environment">REMOTE_USER, REMOTE_ADDR, REMOTE_HOST, REMCTL_COMMAND ..., sent in this order.</param>
    /// <param name="timeout">Bound on the whole call (waiting for a socket plus the reply); <see cref="ZeroMqBackendOptions.CallTimeout"/> when null.</param>
    /// <param name="cancellationToken">Cancels the call; a socket with a request in flight is then discarded.</param>
    /// <returns>The outputs in wire order and a <see cref="ZeroMqReply.ReturnCode"/> or <see cref="ZeroMqReply.ErrorCode"/>.</returns>
    /// <exception cref="ArgumentException">The endpoint is not tcp:// or ipc://, or an environment name is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is not positive or exceeds 24 hours.</exception>
    /// <exception cref="ZeroMqTimeoutException">No free socket or no reply within the timeout.</exception>
    /// <exception cref="ZeroMqProtocolException">The reply was malformed or over the size limits.</exception>
    /// <exception cref="ZeroMqBackendBusyException">The endpoint's queue of waiting calls is full.</exception>
    /// <exception cref="ZeroMqException">A socket could not be opened or the request not sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    /// <exception cref="ObjectDisposedException">The backend is or was being disposed.</exception>
    public Task<ZeroMqReply> CallAsync(
        string endpoint,
        IReadOnlyList<ReadOnlyMemory<byte>> arguments,
        IReadOnlyList<KeyValuePair<string, string>> environment,
        TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var isIpc = EndpointAddress.IsIpc(endpoint);
        var callTimeout = timeout ?? _options.CallTimeout;
        ZeroMqBackendOptions.ValidateTimeout(callTimeout, nameof(timeout));
        var request = ZeroMqRequestEncoder.Encode(arguments, environment, _options.RequestTags);
        cancellationToken.ThrowIfCancellationRequested();

        var pool = _pools.GetOrAdd(endpoint, key => new EndpointPool(key, _options, token => OpenAsync(key, isIpc, token), _logger));
        return pool.CallAsync(request, callTimeout, cancellationToken, _disposing.Token);
    }

    /// <summary>Snapshots of every endpoint pool created so far.</summary>
    public IReadOnlyList<ZeroMqEndpointStatistics> GetStatistics() =>
        _pools.Values.Select(static pool => pool.GetStatistics()).OrderBy(static s => s.Endpoint, StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Fails calls in flight with <see cref="ObjectDisposedException"/>, closes every socket (with
    /// <see cref="ZeroMqBackendOptions.Linger"/> for idle ones, zero for the rest) and stops the
    /// poller thread. Does not call <c>NetMQConfig.Cleanup</c>: other NetMQ users in the process
    /// share its context.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync();
        foreach (var pool in _pools.Values)
        {
            pool.Dispose();
        }

        try
        {
            await _poller.CloseAllAsync();
        }
        catch (ObjectDisposedException)
        {
            // The poller had already stopped, so there is nothing left to close.
        }

        // NetMQPoller.Dispose blocks until its thread ends; keep that off the caller's thread.
        await Task.Run(_poller.Dispose);
        _disposing.Dispose();
    }

    private async Task<IReqChannel> OpenAsync(string endpoint, bool isIpc, CancellationToken cancellationToken)
    {
        if (isIpc)
        {
            return await ZmtpUnixReqChannel.OpenAsync(endpoint, _options, _logger, cancellationToken);
        }

        return await NetMqReqChannel.CreateAsync(_poller, endpoint, _options, _logger);
    }
}
