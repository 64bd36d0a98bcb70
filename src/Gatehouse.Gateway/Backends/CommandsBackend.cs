using Gatehouse.Commands;
using Gatehouse.Commands.Configuration;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Protocol;
using Gatehouse.ZeroMq;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Backends;

/// <summary>
/// The commands of a remctl.conf, in the default domain: exec programs and ZeroMQ daemons, with
/// remctld's matching, ACLs, argv, environment and help/summary. <see cref="Reload"/> swaps in a new
/// configuration atomically; a bad file keeps the old one. Requests in flight keep the runner they
/// started with.
/// </summary>
public sealed class CommandsBackend : ICommandBackend, IAsyncDisposable
{
    private readonly string _path;
    private readonly ZeroMqBackend _zeroMq;
    private readonly ILoggerFactory _loggers;
    private readonly Commands.Limits.KeyedLimiter? _processes;
    private volatile CommandRunner _runner;

    /// <summary>Loads <paramref name="path"/>.</summary>
    /// <param name="processes">Caps exec processes (the gateway's <see cref="GatewayRuntime.Processes"/>); null: none.</param>
    /// <exception cref="ConfigurationException">The file (or an included one) is bad; the message names file and line.</exception>
    public CommandsBackend(string path, ILoggerFactory loggers, Commands.Limits.KeyedLimiter? processes = null)
    {
        _path = path;
        _loggers = loggers;
        _processes = processes;
        _zeroMq = new ZeroMqBackend(new ZeroMqBackendOptions(), loggers.CreateLogger<ZeroMqBackend>());
        _runner = CreateRunner(CommandConfiguration.Load(path));
    }

    /// <summary>The configuration file.</summary>
    public string Path => _path;

    /// <summary>The ZeroMQ daemons' socket pools (metrics).</summary>
    public IReadOnlyList<ZeroMqEndpointStatistics> ZeroMqStatistics() => _zeroMq.GetStatistics();

    /// <summary>The runner for the current configuration.</summary>
    public CommandRunner Runner => _runner;

    private CommandRunner CreateRunner(CommandConfiguration configuration)
    {
        var zeroMq = new ZeroMqLineRunner(_zeroMq);
        return new CommandRunner(configuration, new CommandRunnerOptions { ZeroMqBackend = zeroMq.RunAsync, ProcessLimiter = _processes }, _loggers.CreateLogger<CommandRunner>());
    }

    /// <inheritdoc />
    public bool Handles(string domain, string command)
    {
        if (domain != RequestHeader.DefaultDomain)
        {
            return false;
        }

        // help is built in; a command with a NUL octet is refused by the runner with error 4 (Invalid
        // command token) before any lookup, as remctld does, instead of reaching "unknown command".
        if (command == "help" || command.Contains('\0', StringComparison.Ordinal))
        {
            return true;
        }

        foreach (var line in _runner.Configuration.Lines)
        {
            if (line.Command == CommandLine.All || line.Command == command)
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    public async Task<CallStatus> ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var invocation = OutcomeMapping.ToInvocation(request);
        await using var stdin = request.OpenInput(cancellationToken);
        var outcome = await _runner.RunAsync(invocation, stdin, request, cancellationToken).ConfigureAwait(false);
        return OutcomeMapping.ToStatus(outcome);
    }

    /// <inheritdoc />
    public string? Reload()
    {
        try
        {
            _runner = CreateRunner(CommandConfiguration.Load(_path));
            return null;
        }
        catch (ConfigurationException ex)
        {
            return ex.Message;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"{_path}: {ex.Message}";
        }
    }

    public ValueTask DisposeAsync() => _zeroMq.DisposeAsync();
}
