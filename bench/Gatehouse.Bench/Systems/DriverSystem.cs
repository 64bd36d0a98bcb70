using Gatehouse.Bench.Load;

namespace Gatehouse.Bench.Systems;

/// <summary>
/// A system driven by the in-process load generator (the runner process is the client): the
/// subclass supplies one echo, one empty call and optionally one streaming call.
/// </summary>
public abstract class DriverSystem : IBenchSystem
{
    private readonly Dictionary<int, byte[]> _payloads = [];

    public abstract string Id { get; }

    public abstract string Title { get; }

    public abstract IReadOnlyList<MeasuredProcess> Processes { get; }

    /// <summary>True when <see cref="StreamAsync"/> is implemented.</summary>
    protected abstract bool CanStream { get; }

    public abstract Task StartAsync(BenchEnvironment environment, CancellationToken cancellationToken);

    /// <summary>Sends <paramref name="payload"/> and returns the number of bytes echoed back.</summary>
    protected abstract Task<int> EchoAsync(byte[] payload);

    /// <summary>Calls the command with no input and no output.</summary>
    protected abstract Task EmptyAsync();

    /// <summary>Receives <paramref name="bytes"/> streamed bytes; returns how many arrived.</summary>
    protected virtual Task<long> StreamAsync(long bytes) => throw new NotSupportedException();

    /// <summary>True when <see cref="IdleAsync"/> is implemented.</summary>
    protected virtual bool CanHoldIdle => false;

    /// <summary>Opens <paramref name="count"/> idle connections and measures the server's memory.</summary>
    protected virtual Task<Measurement> IdleAsync(int count, CancellationToken cancellationToken) => throw new NotSupportedException();

    public virtual bool Supports(Scenario scenario) => scenario.Kind switch
    {
        ScenarioKind.Stream => CanStream,
        ScenarioKind.IdleConnections => CanHoldIdle,
        _ => true,
    };

    public Task<Measurement> RunAsync(Scenario scenario, LoadSettings settings, bool warmup, CancellationToken cancellationToken)
    {
        TimeSpan time = warmup ? settings.Warmup : settings.Duration;
        switch (scenario.Kind)
        {
            case ScenarioKind.Sequential when !warmup:
                return LoadDriver.SequentialAsync(Echo(scenario.PayloadBytes), settings.SequentialCount, settings.Duration * 2, cancellationToken);
            case ScenarioKind.Sequential:
            case ScenarioKind.Throughput:
            case ScenarioKind.LargeEcho:
                return LoadDriver.ClosedLoopAsync(Echo(scenario.PayloadBytes), scenario.InFlight, time, cancellationToken);
            case ScenarioKind.Empty:
                return LoadDriver.ClosedLoopAsync(async () =>
                {
                    await EmptyAsync();
                    return 0;
                }, scenario.InFlight, time, cancellationToken);
            case ScenarioKind.Stream:
                return LoadDriver.StreamAsync(StreamAsync, warmup ? settings.StreamWarmupBytes : settings.StreamBytes);
            case ScenarioKind.IdleConnections:
                return IdleAsync(warmup ? Math.Min(100, settings.IdleConnections) : settings.IdleConnections, cancellationToken);
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario));
        }
    }

    private Func<Task<int>> Echo(int size)
    {
        if (!_payloads.TryGetValue(size, out var payload))
        {
            payload = new byte[size];
            new Random(size).NextBytes(payload);
            _payloads[size] = payload;
        }

        return async () =>
        {
            int n = await EchoAsync(payload);
            return n == payload.Length ? n : throw new InvalidOperationException($"{Id}: echoed {n} of {payload.Length} bytes");
        };
    }

    public abstract ValueTask DisposeAsync();
}
