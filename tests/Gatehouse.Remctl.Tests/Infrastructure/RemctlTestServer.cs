using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Remctl.Tests.Infrastructure;

/// <summary>
/// Our remctl server hosted in-process by Kestrel on a free 127.0.0.1 port, mounted with
/// <see cref="RemctlConnectionBuilderExtensions.UseRemctl"/> as the gateway would. Collects log entries so
/// tests can check what was (and was not) logged.
/// </summary>
public sealed class RemctlTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RemctlConnectionHandler _handler;

    private RemctlTestServer(WebApplication app, RemctlConnectionHandler handler, int port, LogCollector logs)
    {
        _app = app;
        _handler = handler;
        Port = port;
        Logs = logs;
    }

    public int Port { get; }

    public LogCollector Logs { get; }

    public static async Task<RemctlTestServer> StartAsync(KerberosRealm realm, IRemctlDispatcher dispatcher, RemctlServerOptions? options = null)
    {
        options ??= new RemctlServerOptions { KeytabPath = realm.HostKeytab };
        var logs = new LogCollector();
        var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var handler = new RemctlConnectionHandler(options, dispatcher, loggerFactory.CreateLogger<RemctlConnectionHandler>());

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseRemctl(handler)));
        var app = builder.Build();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new RemctlTestServer(app, handler, new Uri(address).Port, logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _handler.Dispose();
    }
}

/// <summary>In-memory logger provider.</summary>
public sealed class LogCollector : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, EventId Id, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Collector(this);

    public void Dispose() { }

    public bool Has(int eventId) => Entries.Any(e => e.Id.Id == eventId);

    private sealed class Collector(LogCollector owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Entries.Enqueue((logLevel, eventId, formatter(state, exception), exception));
    }
}
