using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Client;

/// <summary>
/// A client of one gateway. All calls share one multiplexed TLS connection, made on first use and
/// made again after it closes. Connection failures are retried with truncated exponential backoff
/// (<see cref="ConnectionOptions.MaxRetries"/>); a call that may have reached a backend is retried
/// only when the request is marked idempotent.
/// </summary>
public sealed class GatehouseClient : IAsyncDisposable
{
    private readonly ClientOptions _options;
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly Backoff _backoff;
    private MuxConnection? _connection;
    private bool _disposed;

    public GatehouseClient(Endpoint endpoint, ClientOptions options, ILogger? logger = null)
    {
        Endpoint = endpoint;
        _options = options;
        _logger = logger;
        _backoff = new Backoff(options.Connection);
    }

    /// <summary>The gateway this client talks to.</summary>
    public Endpoint Endpoint { get; }

    /// <summary>Connects now if not connected (calls do this themselves).</summary>
    /// <exception cref="ConnectException">Every attempt failed, or the failure cannot be retried.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default) => await GetConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Calls a command and collects its output and final status. Remote failures come back as an
    /// error status in the result, not as exceptions.
    /// </summary>
    /// <exception cref="ConnectException">The gateway could not be reached (after retries).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; a CANCEL was sent.</exception>
    public async Task<CallResult> CallAsync(CallRequest request, CancellationToken cancellationToken = default)
    {
        for (int attempt = 0; ; attempt++)
        {
            await using var call = await StartCallAsync(request, cancellationToken).ConfigureAwait(false);
            var (status, outputs) = await call.CollectAsync(cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            bool notProcessed = status.IsError && status.ErrorCode == ErrorCode.ShuttingDown && outputs.Count == 0;
            bool lostMidCall = status.IsError && status.ErrorCode == ErrorCode.BackendFailed && request.Idempotent;
            if ((notProcessed || lostMidCall) && attempt < _options.Connection.MaxRetries)
            {
                await Task.Delay(_backoff.Delay(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }

            return new CallResult(status, outputs);
        }
    }

    /// <summary>Starts a call and returns it for streaming (stdin in, output chunks out).</summary>
    /// <exception cref="ConnectException">The gateway could not be reached (after retries).</exception>
    public async Task<ActiveCall> StartCallAsync(CallRequest request, CancellationToken cancellationToken = default)
    {
        TimeSpan? deadline = request.Deadline ?? _options.Connection.CallDeadline;
        var header = request.ToHeader(deadline);
        for (int attempt = 0; ; attempt++)
        {
            var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
            MuxStream stream;
            int stdinSent;
            try
            {
                // The REQUEST and as much stdin as the windows take leave together.
                (stream, stdinSent) = await connection.OpenStreamAsync(header, request.Stdin ?? default, endStream: true, cancellationToken).ConfigureAwait(false);
            }
            catch (ConnectionClosedException) when (attempt < _options.Connection.MaxRetries)
            {
                // The connection went away before the request left: safe to retry on a new one.
                continue;
            }

            var call = new ActiveCall(stream, deadline);
            if (request.Stdin is { } stdin && stdinSent < stdin.Length)
            {
                _ = SendStdinAsync(call, stdin[stdinSent..]);
            }

            return call;
        }
    }

    private static async Task SendStdinAsync(ActiveCall call, ReadOnlyMemory<byte> stdin)
    {
        try
        {
            if (!stdin.IsEmpty)
            {
                await call.WriteStdinAsync(stdin).ConfigureAwait(false);
            }

            await call.CompleteStdinAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException or InvalidOperationException)
        {
            // The call ended before its stdin was sent; its status says why.
        }
    }

    private async ValueTask<MuxConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _connection);
        if (current is not null && !current.IsGoingAway)
        {
            return current;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            current = _connection;
            if (current is not null && !current.IsGoingAway)
            {
                return current;
            }

            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    var connection = await ConnectOnceAsync(cancellationToken).ConfigureAwait(false);
                    Volatile.Write(ref _connection, connection);
                    return connection;
                }
                catch (ConnectException ex) when (ex.IsTransient && attempt < _options.Connection.MaxRetries)
                {
                    await Task.Delay(_backoff.Delay(attempt), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private Task<MuxConnection> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        var pinned = _options.Pins(Endpoint);
        if (pinned is null)
        {
            throw new ConnectException(ConnectFailure.NotTrusted,
                $"No fingerprint is pinned for {Endpoint}; run 'gatehouse trust {Endpoint}' or pass --fingerprint");
        }

        var expected = pinned.Value;
        return Dialer.ConnectAsync(Endpoint, _options.Identity, fp => fp == expected, _options.Connection, _options.Mux, _logger, cancellationToken: cancellationToken);
    }

    /// <summary>Closes the connection; calls still open end with an error status.</summary>
    public async ValueTask DisposeAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_connection is { } connection)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }
}
