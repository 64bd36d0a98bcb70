using System.Collections.Concurrent;
using System.Diagnostics;
using Gatehouse.Bench.Processes;
using Gatehouse.Cluster.Etcd;
using Gatehouse.Cluster.Registry;
using Microsoft.Extensions.Logging;

// Every test starts and kills its own etcd processes: one at a time on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Gatehouse.Registry.Tests;

/// <summary>A logger that keeps every line (to check what the registry says) and fails nothing.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, int Id, string Text)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((logLevel, eventId.Id, formatter(state, exception)));

    public bool Said(int id) => Lines.Any(l => l.Id == id);
}

/// <summary>A real 3-member etcd cluster and registries on it, all stopped at the end of the test.</summary>
internal sealed class RegistryHarness : IAsyncDisposable
{
    private readonly List<EtcdRegistry> _registries = [];

    private RegistryHarness(EtcdCluster etcd) => Etcd = etcd;

    public EtcdCluster Etcd { get; }

    public static async Task<RegistryHarness> StartAsync(bool tls = false) => new(await EtcdCluster.StartAsync(3, tls: tls));

    public EtcdRegistryOptions Options(TimeSpan? ttl = null) => new()
    {
        Endpoints = Etcd.ClientUrls,
        Cluster = "test",
        LeaseTtl = ttl ?? TimeSpan.FromSeconds(10),
        OperationTimeout = TimeSpan.FromSeconds(1),
        RetryInterval = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>Starts a registry for member <paramref name="id"/>, publishes its record and waits until its first view was read.</summary>
    public async Task<(EtcdRegistry Registry, ListLogger Log)> AddAsync(string id, EtcdRegistryOptions? options = null, int port = 7340)
    {
        var (r, log) = Start(id, options);
        Assert.True(await r.WaitReadyAsync(TimeSpan.FromSeconds(15)), "the registry read its first view");
        await r.PublishMemberAsync(new LocalMember($"127.0.0.1:{port}", 4373, 0, "0.1.0", new Dictionary<string, string> { ["host"] = id })).WaitAsync(TimeSpan.FromSeconds(15));
        return (r, log);
    }

    private readonly List<(string Id, ListLogger Log)> _logs = [];

    /// <summary>Starts a registry without waiting for anything.</summary>
    public (EtcdRegistry Registry, ListLogger Log) Start(string id, EtcdRegistryOptions? options = null)
    {
        var log = new ListLogger();
        var r = new EtcdRegistry(id, options ?? Options(), log);
        _registries.Add(r);
        _logs.Add((id, log));
        r.Start();
        return (r, log);
    }

    /// <summary>Every registry's log lines, stamped with the member they came from (shown when a test fails).</summary>
    public string Logs => string.Join("\n", _logs.SelectMany(l => l.Log.Lines.Select(x => $"{l.Id} {x.Level} {x.Id} {x.Text}")));

    public async ValueTask DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("GATEHOUSE_REGISTRY_LOGS") is not null)
        {
            File.AppendAllText(Environment.GetEnvironmentVariable("GATEHOUSE_REGISTRY_LOGS")!, Logs + "\n");
        }

        foreach (var r in _registries)
        {
            await r.DisposeAsync();
        }

        await Etcd.DisposeAsync();
    }

    /// <summary>Waits until <paramref name="condition"/> holds; returns the time it took. Fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task<TimeSpan> Eventually(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout)
            {
                Assert.Fail($"not within {timeout}: {what}");
            }

            await Task.Delay(20);
        }

        return sw.Elapsed;
    }
}
