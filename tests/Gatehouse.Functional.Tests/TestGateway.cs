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
/// authorized peers. Like MQTTnet's test environment, it fails the test at dispose when anything
/// went wrong that the test did not declare: every log entry at Error level or above (from the
/// gateway, and from the services and clients it made) and every unobserved task exception raised
/// while it ran. Declare the expected ones with <see cref="ExpectErrors(int)"/> or
/// <see cref="ExpectErrors(Func{LogEntry, bool})"/>.
/// </summary>
public sealed class TestGateway : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<CancellationTokenSource> _services = [];
    private bool _disposed;

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

    /// <summary>Every Error-or-worse entry and unobserved task exception seen so far.</summary>
    public ErrorLog Errors { get; }

    public static async Task<TestGateway> StartAsync(Func<GatewayOptions, GatewayOptions>? configure = null, Action<GatewayRuntime>? runtime = null, ILoggerProvider? logging = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "gatehouse-test-" + Guid.NewGuid().ToString("N")[..12]);
        var options = new GatewayOptions { Listen = ["127.0.0.1:0"], StateDirectory = dir, DrainTimeout = TimeSpan.FromSeconds(5) };
        options = configure?.Invoke(options) ?? options;
        var errors = new ErrorLog();
        UnobservedTaskExceptions.Watch(errors);
        GatewayServer server;
        try
        {
            server = await GatewayServer.StartAsync(options, builder =>
            {
                builder.AddProvider(errors).SetMinimumLevel(LogLevel.Warning);
                if (logging is not null)
                {
                    builder.AddProvider(logging);
                }
            }, runtime);
        }
        catch
        {
            UnobservedTaskExceptions.Unwatch(errors);
            throw;
        }

        return new TestGateway(server, dir, errors);
    }

    /// <summary>Declares that entries with event id <paramref name="eventId"/> are expected (the test provokes them).</summary>
    public TestGateway ExpectErrors(int eventId) => ExpectErrors(e => e.EventId.Id == eventId);

    /// <summary>
    /// Declares that entries matching <paramref name="predicate"/> are expected. Unobserved task
    /// exceptions appear as entries of category <see cref="UnobservedTaskExceptions.Category"/>.
    /// </summary>
    public TestGateway ExpectErrors(Func<LogEntry, bool> predicate)
    {
        Errors.Expect(predicate);
        return this;
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
        var client = new GatehouseClient(Endpoint, ClientOptions(identity, connection), Errors.CreateLogger("client " + identity.Fingerprint));
        _owned.Add(client);
        return client;
    }

    /// <summary>A new authorized client.</summary>
    public GatehouseClient NewClient(string name = "alice", PeerRoles roles = PeerRoles.Client) => Client(Authorize(name, roles));

    /// <summary>
    /// Starts <paramref name="service"/> against this gateway only (discovery off: in a cluster it
    /// does not attach to the other members) and waits until it has registered.
    /// </summary>
    public async Task<GatehouseService> RunServiceAsync(PeerIdentity identity, Action<GatehouseService> map)
    {
        var service = new GatehouseService(new ServiceOptions
        {
            Identity = identity,
            Gateways = [new GatewayTarget(Endpoint, Server.Fingerprint)],
            Discovery = DiscoveryOptions.Off,
            Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(5), MaxBackoff = TimeSpan.FromMilliseconds(500) },
        }, Errors.CreateLogger("service " + identity.Fingerprint));
        map(service);
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        service.Attached += _ => attached.TrySetResult();
        var cts = new CancellationTokenSource();
        _services.Add(cts);
        _ = service.RunAsync(cts.Token);
        await attached.Task.WaitAsync(TimeSpan.FromSeconds(20));
        return service;
    }

    /// <summary>
    /// Stops everything, then fails the test (<see cref="Assert.Fail(string)"/>) listing every
    /// error entry and unobserved task exception that no <see cref="ExpectErrors(Func{LogEntry, bool})"/>
    /// declared. Finalizers are run first so that faulted tasks dropped during the test report now.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await StopAsync();
        }
        finally
        {
            // An unobserved task exception is raised by the finalizer of the faulted task: collect now
            // so those of this test are raised while this gateway still watches.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            UnobservedTaskExceptions.Unwatch(Errors);
        }

        var unexpected = Errors.Unexpected();
        if (unexpected.Count > 0)
        {
            Assert.Fail($"The test gateway saw {unexpected.Count} unexpected error(s) (declare expected ones with ExpectErrors):\n  "
                + string.Join("\n  ", unexpected));
        }
    }

    private async Task StopAsync()
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

/// <summary>One log entry (or unobserved task exception) that a <see cref="TestGateway"/> recorded.</summary>
public sealed record LogEntry(LogLevel Level, string Category, EventId EventId, string Message, Exception? Exception)
{
    /// <inheritdoc />
    public override string ToString() => $"{Level} {Category} [{EventId.Id}] {Message}" + (Exception is null ? "" : $" -- {Exception}");
}

/// <summary>
/// Collects Error-or-worse log entries (from every logger it made) and unobserved task exceptions,
/// and the test's declarations of which of them are expected.
/// </summary>
public sealed class ErrorLog : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly ConcurrentQueue<Func<LogEntry, bool>> _expected = new();

    /// <summary>Everything recorded so far, expected or not.</summary>
    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    /// <summary>Records an entry (also used for unobserved task exceptions).</summary>
    public void Add(LogEntry entry) => _entries.Enqueue(entry);

    /// <summary>Declares entries matching <paramref name="predicate"/> expected.</summary>
    public void Expect(Func<LogEntry, bool> predicate) => _expected.Enqueue(predicate);

    /// <summary>The entries no declaration covers.</summary>
    public List<LogEntry> Unexpected() => [.. _entries.Where(e => !_expected.Any(p => p(e)))];

    private sealed class Logger(ErrorLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
            {
                owner.Add(new LogEntry(logLevel, category, eventId, formatter(state, exception), exception));
            }
        }
    }
}

/// <summary>
/// <see cref="TaskScheduler.UnobservedTaskException"/> is process-wide and raised late (by the
/// faulted task's finalizer), so it cannot be tied to one test for certain. Every exception raised
/// is recorded in every <see cref="ErrorLog"/> watching at that moment, that is, of every test
/// gateway between its start and the end of its dispose (which forces a collection first). A
/// test running beside the one at fault may therefore report it too; the entry says so.
/// </summary>
public static class UnobservedTaskExceptions
{
    /// <summary>The <see cref="LogEntry.Category"/> of an unobserved task exception.</summary>
    public const string Category = "TaskScheduler.UnobservedTaskException";

    private static readonly Lock Gate = new();
    private static readonly HashSet<ErrorLog> Watching = [];
    private static bool _subscribed;

    public static void Watch(ErrorLog log)
    {
        lock (Gate)
        {
            if (!_subscribed)
            {
                TaskScheduler.UnobservedTaskException += OnUnobserved;
                _subscribed = true;
            }

            Watching.Add(log);
        }
    }

    public static void Unwatch(ErrorLog log)
    {
        lock (Gate)
        {
            Watching.Remove(log);
        }
    }

    private static void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
    {
        ErrorLog[] logs;
        lock (Gate)
        {
            logs = [.. Watching];
        }

        string note = logs.Length > 1 ? $" ({logs.Length} test gateways were running: it may come from another test)" : "";
        foreach (var log in logs)
        {
            log.Add(new LogEntry(LogLevel.Critical, Category, default, "Unobserved task exception" + note, e.Exception));
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
