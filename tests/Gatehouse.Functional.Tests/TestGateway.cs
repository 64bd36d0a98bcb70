using System.Collections.Concurrent;
using Gatehouse.Client;
using Gatehouse.Gateway;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// A real gateway on 127.0.0.1 (free port, TLS, its own state directory) plus helpers to make
/// authorized peers. Records every Error-level log so tests can assert none happened.
/// </summary>
public sealed class TestGateway : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<CancellationTokenSource> _services = [];

    private TestGateway(GatewayServer server, string stateDir, ErrorLog errors)
    {
        Server = server;
        StateDir = stateDir;
        Errors = errors;
        Endpoint = new Endpoint("127.0.0.1", server.Port);
    }

    public GatewayServer Server { get; }

    public string StateDir { get; }

    public Endpoint Endpoint { get; }

    public ErrorLog Errors { get; }

    public static async Task<TestGateway> StartAsync(Func<GatewayOptions, GatewayOptions>? configure = null, Action<GatewayRuntime>? runtime = null, ILoggerProvider? logging = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "gatehouse-test-" + Guid.NewGuid().ToString("N")[..12]);
        var options = new GatewayOptions { Listen = ["127.0.0.1:0"], StateDirectory = dir, DrainTimeout = TimeSpan.FromSeconds(5) };
        options = configure?.Invoke(options) ?? options;
        var errors = new ErrorLog();
        var server = await GatewayServer.StartAsync(options, builder =>
        {
            builder.AddProvider(errors).SetMinimumLevel(LogLevel.Warning);
            if (logging is not null)
            {
                builder.AddProvider(logging);
            }
        }, runtime);
        return new TestGateway(server, dir, errors);
    }

    /// <summary>Makes an identity and writes it to the authorized file with the given roles.</summary>
    public PeerIdentity Authorize(string name, PeerRoles roles, params string[] domains)
    {
        var identity = PeerIdentity.CreateEphemeral(name);
        AuthorizedPeers.Upsert(Server.Runtime.Options.AuthorizedPath, new PeerGrant(identity.Fingerprint, name, roles, domains));
        Server.Runtime.Authorized.Reload();
        return identity;
    }

    public ClientOptions ClientOptions(PeerIdentity identity, ConnectionOptions? connection = null) => new()
    {
        Identity = identity,
        Pins = Gatehouse.Client.ClientOptions.PinTo(Server.Fingerprint),
        Connection = connection ?? new ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(5) },
    };

    public GatehouseClient Client(PeerIdentity identity, ConnectionOptions? connection = null)
    {
        var client = new GatehouseClient(Endpoint, ClientOptions(identity, connection));
        _owned.Add(client);
        return client;
    }

    /// <summary>A new authorized client.</summary>
    public GatehouseClient NewClient(string name = "alice", PeerRoles roles = PeerRoles.Client) => Client(Authorize(name, roles));

    /// <summary>Starts <paramref name="service"/> against this gateway and waits until it has registered.</summary>
    public async Task<GatehouseService> RunServiceAsync(PeerIdentity identity, Action<GatehouseService> map)
    {
        var service = new GatehouseService(new ServiceOptions
        {
            Identity = identity,
            Gateways = [new GatewayTarget(Endpoint, Server.Fingerprint)],
            Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(5), MaxBackoff = TimeSpan.FromMilliseconds(500) },
        });
        map(service);
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        service.Attached += _ => attached.TrySetResult();
        var cts = new CancellationTokenSource();
        _services.Add(cts);
        _ = service.RunAsync(cts.Token);
        await attached.Task.WaitAsync(TimeSpan.FromSeconds(20));
        return service;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cts in _services)
        {
            cts.Cancel();
        }

        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await Server.DisposeAsync();
        try
        {
            Directory.Delete(StateDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind does not affect results.
        }
    }
}

/// <summary>Collects Error and Critical log entries from the gateway.</summary>
public sealed class ErrorLog : ILoggerProvider
{
    public ConcurrentQueue<string> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    private sealed class Logger(ErrorLog owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
            {
                owner.Entries.Enqueue($"{logLevel} {eventId.Id}: {formatter(state, exception)} {exception}");
            }
        }
    }
}

/// <summary>Collects Warning-and-above log entries (text and exception) from the gateway.</summary>
public sealed class WarningLog : ILoggerProvider
{
    public ConcurrentQueue<string> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(WarningLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                owner.Entries.Enqueue($"{logLevel} {category} {eventId.Id}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
