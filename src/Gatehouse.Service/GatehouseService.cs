using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Service;

/// <summary>
/// A long-running backend service. Map handlers to (domain, command) pairs, then
/// <see cref="RunAsync"/>: the service dials every configured gateway, registers its commands, and
/// serves the requests the gateways send it, reconnecting with truncated exponential backoff and
/// jitter whenever a gateway goes away.
/// <code>
/// var service = new GatehouseService(options)
///     .Map("mail", "queue-size", async ctx => { await ctx.WriteAsync("42\n"); return 0; });
/// await service.RunAsync(stoppingToken);
/// </code>
/// </summary>
public sealed partial class GatehouseService
{
    private readonly ServiceOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<(string Domain, string Command), (CommandHandler Handler, int Concurrency)> _handlers = [];
    private readonly ConcurrentDictionary<GatewayTarget, MuxConnection> _live = new();

    public GatehouseService(ServiceOptions options, ILogger? logger = null)
    {
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Gateways this service is attached to right now.</summary>
    public int ConnectedGateways => _live.Count;

    /// <summary>Raised each time a gateway connection is up and every command is registered.</summary>
    public event Action<GatewayTarget>? Attached;

    /// <summary>
    /// Handles <paramref name="command"/> in <paramref name="domain"/> (<c>*</c>: every command of the
    /// domain). <paramref name="concurrency"/> is how many such requests one gateway may send at once.
    /// </summary>
    public GatehouseService Map(string domain, string command, CommandHandler handler, int concurrency = 64)
    {
        _handlers[(domain, command)] = (handler, concurrency);
        return this;
    }

    /// <summary>Attaches to every gateway and serves until <paramref name="cancellationToken"/> fires; then drains.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_handlers.Count == 0)
        {
            throw new InvalidOperationException("Map at least one command before RunAsync");
        }

        var loops = _options.Gateways.Select(g => AttachLoopAsync(g, cancellationToken)).ToArray();
        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private async Task AttachLoopAsync(GatewayTarget target, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(_options.Connection);
        int attempt = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            MuxConnection? connection = null;
            try
            {
                connection = await Dialer.ConnectAsync(target.Endpoint, _options.Identity, fp => fp == target.Fingerprint,
                    _options.Connection, _options.Mux, _logger, onRequest: stream => _ = ServeAsync(stream), cancellationToken).ConfigureAwait(false);
                await RegisterAllAsync(connection, cancellationToken).ConfigureAwait(false);
                attempt = 0;
                _live[target] = connection;
                LogAttached(_logger, target.Endpoint.ToString(), _handlers.Count);
                Attached?.Invoke(target);
                using (cancellationToken.Register(static c => ((MuxConnection)c!).GoAway(ErrorCode.NoError, "Service stopping"), connection))
                {
                    await connection.Completion.ConfigureAwait(false);
                }

                LogDetached(_logger, target.Endpoint.ToString(), connection.CloseReason.Message);
            }
            catch (Exception ex) when (ex is ConnectException or ConnectionClosedException or ServiceRegistrationException)
            {
                LogAttachFailed(_logger, target.Endpoint.ToString(), ex.Message);
                if (ex is ServiceRegistrationException)
                {
                    // Authorization problems do not fix themselves quickly; back off as for a failure.
                    attempt = Math.Max(attempt, 3);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                _live.TryRemove(target, out _);
                if (connection is not null && cancellationToken.IsCancellationRequested)
                {
                    await connection.DrainAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                }
            }

            try
            {
                await Task.Delay(backoff.Delay(attempt++), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RegisterAllAsync(MuxConnection connection, CancellationToken cancellationToken)
    {
        foreach (var ((domain, command), (_, concurrency)) in _handlers)
        {
            var header = new RequestHeader
            {
                Domain = RequestHeader.ControlDomain,
                Command = "register",
                Arguments = [Encoding.UTF8.GetBytes(domain), Encoding.UTF8.GetBytes(command), Encoding.UTF8.GetBytes(concurrency.ToString(CultureInfo.InvariantCulture))],
            };
            var stream = await connection.OpenStreamAsync(header, endStream: true, cancellationToken).ConfigureAwait(false);
            var status = await stream.ReadToStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!status.IsSuccess && connection.IsGoingAway)
            {
                // The connection died or is going away (the status is its close reason): reconnect soon.
                throw new ConnectionClosedException(status);
            }

            if (!status.IsSuccess)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw new ServiceRegistrationException($"Registering {domain}/{command} failed: {status}");
            }
        }
    }

    /// <summary>Runs the handler for one request and sends its one status.</summary>
    private async Task ServeAsync(MuxStream stream)
    {
        var header = stream.Header;
        if (!_handlers.TryGetValue((header.Domain, header.Command), out var entry) && !_handlers.TryGetValue((header.Domain, "*"), out entry))
        {
            stream.Complete(CallStatus.Error(ErrorCode.UnknownCommand, $"Unknown command: this service has no {header.Domain}/{header.Command}"));
            return;
        }

        // A linked source only when there is a deadline to add to the stream's own abort token.
        using var deadline = header.DeadlineMs > 0 ? CancellationTokenSource.CreateLinkedTokenSource(stream.Aborted) : null;
        deadline?.CancelAfter(TimeSpan.FromMilliseconds(header.DeadlineMs));
        var token = deadline?.Token ?? stream.Aborted;

        CallStatus status;
        try
        {
            var context = new CommandContext(stream, token);
            int code = await entry.Handler(context).ConfigureAwait(false);
            status = CallStatus.Exit(code);
        }
        catch (CommandException ex)
        {
            status = CallStatus.Error(ex.Code, ex.Message);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            status = stream.CancelCode is { } code
                ? CallStatus.Error(code)
                : stream.Aborted.IsCancellationRequested ? CallStatus.Error(ErrorCode.Cancelled) : CallStatus.Error(ErrorCode.DeadlineExceeded);
        }
        catch (ConnectionClosedException ex)
        {
            status = ex.Reason;
        }
        catch (Exception ex)
        {
            LogHandlerFailed(_logger, ex, header.Domain, header.Command);
            status = CallStatus.Error(ErrorCode.Internal, $"The service's handler failed ({ex.GetType().Name})");
        }

        stream.Complete(status);
    }

    [LoggerMessage(3000, LogLevel.Information, "Attached to gateway {Gateway} with {Commands} commands")]
    private static partial void LogAttached(ILogger logger, string gateway, int commands);

    [LoggerMessage(3001, LogLevel.Warning, "Detached from gateway {Gateway}: {Reason}")]
    private static partial void LogDetached(ILogger logger, string gateway, string reason);

    [LoggerMessage(3002, LogLevel.Warning, "Could not attach to gateway {Gateway}: {Reason}")]
    private static partial void LogAttachFailed(ILogger logger, string gateway, string reason);

    [LoggerMessage(3003, LogLevel.Error, "Handler for {Domain}/{Command} threw")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string domain, string command);
}

/// <summary>A gateway refused a registration (for example: the domain is not authorized).</summary>
public sealed class ServiceRegistrationException : Exception
{
    public ServiceRegistrationException() { }

    public ServiceRegistrationException(string message) : base(message) { }

    public ServiceRegistrationException(string message, Exception inner) : base(message, inner) { }
}
