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
/// jitter whenever a gateway goes away. With <see cref="ServiceOptions.Discovery"/> on (the default)
/// it also attaches to the other members of the gateways' cluster and follows membership changes
/// (<c>GatehouseService.Discovery.cs</c>; docs/services.md).
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
    private int _running;

    /// <exception cref="ArgumentException">An option is missing or out of range (<see cref="ServiceOptions.Validate"/>).</exception>
    public GatehouseService(ServiceOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Gateways this service is attached to right now (connected, every command registered).</summary>
    public int ConnectedGateways => _attachments.Values.Count(a => a.Connection is not null);

    /// <summary>
    /// Every gateway this service attaches to or is trying to: the configured ones and, with
    /// discovery, the cluster members it found; each with whether it is attached right now.
    /// Configured gateways first (in their order), then discovered ones by address.
    /// </summary>
    public IReadOnlyList<GatewayAttachment> Gateways =>
        [.. _attachments.Values
            .OrderBy(a => a.SeedIndex)
            .ThenBy(a => a.Target.Endpoint.ToString(), StringComparer.Ordinal)
            .Select(a => new GatewayAttachment(a.Target, a.SeedIndex == int.MaxValue, a.Connection is not null))];

    /// <summary>Raised each time a gateway connection is up and every command is registered.</summary>
    public event Action<GatewayTarget>? Attached;

    /// <summary>Raised each time an attached gateway connection ends (the gateway went away, or the service detached or stopped).</summary>
    public event Action<GatewayTarget>? Detached;

    /// <summary>
    /// Handles <paramref name="command"/> in <paramref name="domain"/> (<c>*</c>: every command of the
    /// domain). <paramref name="concurrency"/> is how many such requests one gateway may send at once.
    /// </summary>
    public GatehouseService Map(string domain, string command, CommandHandler handler, int concurrency = 64)
    {
        _handlers[(domain, command)] = (handler, concurrency);
        return this;
    }

    /// <summary>
    /// Attaches to every configured gateway (and, with discovery, to the other members of their
    /// cluster) and serves until <paramref name="cancellationToken"/> fires; then drains every
    /// connection (up to 10 s each) and returns.
    /// </summary>
    /// <exception cref="InvalidOperationException">No command is mapped, or the service is running already.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_handlers.Count == 0)
        {
            throw new InvalidOperationException("Map at least one command before RunAsync");
        }

        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("This service is running already");
        }

        try
        {
            var seeds = _options.Gateways.Select((g, i) => Start(g, i, cancellationToken).Loop).ToList();
            var discovery = _options.Discovery.Enabled ? DiscoverLoopAsync(cancellationToken) : Task.CompletedTask;
            await Task.WhenAll([.. seeds, discovery]).ConfigureAwait(false);

            // Discovered members' loops (no more start once discovery has ended).
            await Task.WhenAll(TakeLoops()).ConfigureAwait(false);
        }
        finally
        {
            _attachments.Clear();
            Volatile.Write(ref _running, 0);
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
            Log.HandlerFailed(_logger, ex, header.Domain, header.Command);
            status = CallStatus.Error(ErrorCode.Internal, $"The service's handler failed ({ex.GetType().Name})");
        }

        stream.Complete(status);
    }
}

/// <summary>A gateway refused a registration (for example: the domain is not authorized).</summary>
public sealed class ServiceRegistrationException : Exception
{
    public ServiceRegistrationException() { }

    public ServiceRegistrationException(string message) : base(message) { }

    public ServiceRegistrationException(string message, Exception inner) : base(message, inner) { }
}
