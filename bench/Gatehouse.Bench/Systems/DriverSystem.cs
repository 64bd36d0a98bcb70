using Gatehouse.Bench.Load;

namespace Gatehouse.Bench.Systems;

/// <summary>
/// A system driven by the in-process load generator (the runner process is the client): the
/// subclass supplies one echo, one empty call and optionally one streaming call, each either to the
/// member the service is on (direct) or, once <see cref="StartForwardingAsync"/> has run, through a
/// second member that forwards (<see cref="Scenario.Forwarded"/>).
/// </summary>
public abstract class DriverSystem : IBenchSystem
{
    private readonly Dictionary<int, byte[]> _payloads = [];
    private Task? _forwarding;

    public abstract string Id { get; }

    public abstract string Title { get; }

    public abstract IReadOnlyList<MeasuredProcess> Processes { get; }

    /// <summary>The second member (role <c>fwd</c>) once started, else null.</summary>
    protected virtual MeasuredProcess? Forwarder => null;

    public IReadOnlyList<MeasuredProcess> ProcessesFor(Scenario scenario) =>
        scenario.Forwarded && Forwarder is { } fwd ? [.. Processes, fwd] : Processes;

    /// <summary>True when the system can form a two-member cluster (<see cref="StartForwardingAsync"/>).</summary>
    protected virtual bool CanForward => false;

    /// <summary>True when <see cref="StallAsync"/> is implemented.</summary>
    protected virtual bool CanStall => false;

    /// <summary>
    /// Starts the second member, joined to the first, and returns once a call through it reaches
    /// the service (routes and grants learned). Called once, before the first forwarded scenario.
    /// </summary>
    protected virtual Task StartForwardingAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    /// <summary>Starts the second member on the first forwarded scenario; a failure is that of every forwarded scenario (no second attempt).</summary>
    public Task PrepareAsync(Scenario scenario, LoadSettings settings, CancellationToken cancellationToken) =>
        scenario.Forwarded ? _forwarding ??= StartAndWarmAsync(settings, cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// The second member is a new process, where the first had every direct scenario to compile
    /// and tier up its code: before the first forwarded measurement it carries forwarded 64 B
    /// echoes for 5 warm-up periods (3 at 128 in flight, 2 one at a time; 5 s in a full run).
    /// Profiled without this, a new forwarding gateway spent a quarter of its CPU in the JIT for
    /// its first 15 s of load.
    /// </summary>
    private async Task StartAndWarmAsync(LoadSettings settings, CancellationToken cancellationToken)
    {
        await StartForwardingAsync(cancellationToken);
        await LoadDriver.ClosedLoopAsync(Echo(64, forwarded: true), 128, settings.Warmup * 3, cancellationToken);
        await LoadDriver.ClosedLoopAsync(Echo(64, forwarded: true), 1, settings.Warmup * 2, cancellationToken);
    }

    /// <summary>True when <see cref="StreamAsync"/> is implemented.</summary>
    protected abstract bool CanStream { get; }

    public abstract Task StartAsync(BenchEnvironment environment, CancellationToken cancellationToken);

    /// <summary>Sends <paramref name="payload"/> (through the second member when <paramref name="forwarded"/>) and returns the number of bytes echoed back.</summary>
    protected abstract Task<int> EchoAsync(byte[] payload, bool forwarded);

    /// <summary>Calls the command with no input and no output.</summary>
    protected abstract Task EmptyAsync();

    /// <summary>Receives <paramref name="bytes"/> streamed bytes (through the second member when <paramref name="forwarded"/>); returns how many arrived.</summary>
    protected virtual Task<long> StreamAsync(long bytes, bool forwarded) => throw new NotSupportedException();

    /// <summary>
    /// Starts a forwarded call streaming <paramref name="bytes"/>, reads its first chunk, stops
    /// reading for <paramref name="hold"/> while sampling the forwarding member's resident memory,
    /// then cancels the call.
    /// </summary>
    protected virtual Task<Measurement> StallAsync(long bytes, TimeSpan hold, CancellationToken cancellationToken) => throw new NotSupportedException();

    /// <summary>True when <see cref="IdleAsync"/> is implemented.</summary>
    protected virtual bool CanHoldIdle => false;

    /// <summary>Opens <paramref name="count"/> idle connections and measures the server's memory.</summary>
    protected virtual Task<Measurement> IdleAsync(int count, CancellationToken cancellationToken) => throw new NotSupportedException();

    public virtual bool Supports(Scenario scenario) => (!scenario.Forwarded || CanForward) && scenario.Kind switch
    {
        ScenarioKind.Stream => CanStream,
        ScenarioKind.IdleConnections => CanHoldIdle,
        ScenarioKind.StalledStream => CanStall,
        _ => true,
    };

    public Task<Measurement> RunAsync(Scenario scenario, LoadSettings settings, bool warmup, CancellationToken cancellationToken)
    {
        TimeSpan time = warmup ? settings.Warmup : settings.Duration;
        bool fwd = scenario.Forwarded;
        switch (scenario.Kind)
        {
            case ScenarioKind.Sequential when !warmup:
                return LoadDriver.SequentialAsync(Echo(scenario.PayloadBytes, fwd), settings.SequentialCount, settings.Duration * 2, cancellationToken);
            case ScenarioKind.Sequential:
            case ScenarioKind.Throughput:
            case ScenarioKind.LargeEcho:
                return LoadDriver.ClosedLoopAsync(Echo(scenario.PayloadBytes, fwd), scenario.InFlight, time, cancellationToken);
            case ScenarioKind.Empty:
                return LoadDriver.ClosedLoopAsync(async () =>
                {
                    await EmptyAsync();
                    return 0;
                }, scenario.InFlight, time, cancellationToken);
            case ScenarioKind.Stream:
                return LoadDriver.StreamAsync(bytes => StreamAsync(bytes, fwd), warmup ? settings.StreamWarmupBytes : settings.StreamBytes);
            case ScenarioKind.StalledStream when warmup:
                // One small stream read to the end: the data path is compiled and its first buffers
                // exist before the resting memory is read, without a gigabyte having grown the heap.
                return LoadDriver.StreamAsync(bytes => StreamAsync(bytes, fwd), StallWarmupBytes);
            case ScenarioKind.StalledStream:
                return StallAsync(settings.StreamBytes, settings.StallHold, cancellationToken);
            case ScenarioKind.IdleConnections:
                return IdleAsync(warmup ? Math.Min(100, settings.IdleConnections) : settings.IdleConnections, cancellationToken);
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario));
        }
    }

    /// <summary>Bytes of the stream read to the end before the stalled one.</summary>
    public const long StallWarmupBytes = 1L << 20;

    private Func<Task<int>> Echo(int size, bool forwarded)
    {
        if (!_payloads.TryGetValue(size, out var payload))
        {
            payload = new byte[size];
            new Random(size).NextBytes(payload);
            _payloads[size] = payload;
        }

        return async () =>
        {
            int n = await EchoAsync(payload, forwarded);
            return n == payload.Length ? n : throw new InvalidOperationException($"{Id}: echoed {n} of {payload.Length} bytes");
        };
    }

    public abstract ValueTask DisposeAsync();
}
