using Gatehouse.Bench.Load;

namespace Gatehouse.Bench.Systems;

/// <summary>
/// A system driven by the in-process load generator (the runner process is the client): the
/// subclass supplies one echo, one empty call and optionally one streaming call, each either to the
/// member the service is on (direct) or, once <see cref="StartForwardingAsync"/> has run, through a
/// second member that forwards (<see cref="MemberPath.Forwarded"/>) or redirects
/// (<see cref="MemberPath.Redirected"/>).
/// </summary>
public abstract class DriverSystem : IBenchSystem
{
    private readonly Dictionary<int, byte[]> _payloads = [];
    private Task? _second;
    private Task? _forwarding;
    private Task? _redirecting;

    public abstract string Id { get; }

    public abstract string Title { get; }

    public abstract IReadOnlyList<MeasuredProcess> Processes { get; }

    /// <summary>The second member (role <c>fwd</c>) once started, else null.</summary>
    protected virtual MeasuredProcess? Forwarder => null;

    public IReadOnlyList<MeasuredProcess> ProcessesFor(Scenario scenario) =>
        scenario.ThroughSecondMember && Forwarder is { } fwd ? [.. Processes, fwd] : Processes;

    /// <summary>True when the system can form a two-member cluster (<see cref="StartForwardingAsync"/>).</summary>
    protected virtual bool CanForward => false;

    /// <summary>
    /// True when the second member can redirect the client to the first instead of forwarding
    /// (<see cref="CheckPathsAsync"/>, <see cref="FirstCallAsync"/>, <see cref="CheckRedirectedAsync"/>).
    /// </summary>
    protected virtual bool CanRedirect => false;

    /// <summary>True when <see cref="StallAsync"/> is implemented.</summary>
    protected virtual bool CanStall => false;

    /// <summary>
    /// Starts the second member, joined to the first, and returns once a call through it reaches
    /// the service (routes and grants learned). Called once, before the first forwarded or redirected scenario.
    /// </summary>
    protected virtual Task StartForwardingAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    /// <summary>
    /// Called once, before the first redirected scenario (the second member running): checks that
    /// a call through the second member in the forwarded rows' domain is forwarded, and one in the
    /// redirected rows' domain is redirected and served without it.
    /// </summary>
    /// <exception cref="InvalidOperationException">A path is not the one its rows claim.</exception>
    protected virtual Task CheckPathsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    /// <summary>
    /// Called after each measured redirected run: no call of the redirected rows' domain has reached
    /// the service forwarded (every one went straight to the service's member).
    /// </summary>
    /// <exception cref="InvalidOperationException">One was forwarded.</exception>
    protected virtual Task CheckRedirectedAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    /// <summary>
    /// Starts the second member on the first scenario through it (a failure is that of every such
    /// scenario: no second attempt); the first forwarded scenario warms it up, the first redirected
    /// one checks the paths.
    /// </summary>
    public Task PrepareAsync(Scenario scenario, LoadSettings settings, CancellationToken cancellationToken) => scenario.Path switch
    {
        MemberPath.Forwarded => _forwarding ??= WarmForwarderAsync(settings, cancellationToken),
        MemberPath.Redirected => _redirecting ??= PrepareRedirectsAsync(cancellationToken),
        _ => Task.CompletedTask,
    };

    private async Task PrepareRedirectsAsync(CancellationToken cancellationToken)
    {
        await (_second ??= StartForwardingAsync(cancellationToken));
        await CheckPathsAsync(cancellationToken);
    }

    /// <summary>
    /// The second member is a new process, where the first had every direct scenario to compile
    /// and tier up its code: before the first forwarded measurement it carries forwarded 64 B
    /// echoes for 5 warm-up periods (3 at 128 in flight, 2 one at a time; 5 s in a full run).
    /// Profiled without this, a new forwarding gateway spent a quarter of its CPU in the JIT for
    /// its first 15 s of load.
    /// </summary>
    private async Task WarmForwarderAsync(LoadSettings settings, CancellationToken cancellationToken)
    {
        await (_second ??= StartForwardingAsync(cancellationToken));
        await LoadDriver.ClosedLoopAsync(Echo(64, MemberPath.Forwarded), 128, settings.Warmup * 3, cancellationToken);
        await LoadDriver.ClosedLoopAsync(Echo(64, MemberPath.Forwarded), 1, settings.Warmup * 2, cancellationToken);
    }

    /// <summary>True when <see cref="StreamAsync"/> is implemented.</summary>
    protected abstract bool CanStream { get; }

    public abstract Task StartAsync(BenchEnvironment environment, CancellationToken cancellationToken);

    /// <summary>Sends <paramref name="payload"/> along <paramref name="path"/> and returns the number of bytes echoed back.</summary>
    protected abstract Task<int> EchoAsync(byte[] payload, MemberPath path);

    /// <summary>Calls the command with no input and no output.</summary>
    protected abstract Task EmptyAsync();

    /// <summary>Receives <paramref name="bytes"/> streamed bytes along <paramref name="path"/>; returns how many arrived.</summary>
    protected virtual Task<long> StreamAsync(long bytes, MemberPath path) => throw new NotSupportedException();

    /// <summary>
    /// <paramref name="clients"/> new clients of the second member, one after another: each connects
    /// (not timed), then its first 64 B echo in the redirected rows' domain is timed (redirected,
    /// followed); then it is closed. The latencies, sorted.
    /// </summary>
    protected virtual Task<Measurement> FirstCallAsync(int clients, CancellationToken cancellationToken) => throw new NotSupportedException();

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

    public virtual bool Supports(Scenario scenario) => scenario.Path switch
    {
        MemberPath.Forwarded => CanForward,
        MemberPath.Redirected => CanForward && CanRedirect,
        _ => true,
    } && scenario.Kind switch
    {
        ScenarioKind.Stream => CanStream,
        ScenarioKind.IdleConnections => CanHoldIdle,
        ScenarioKind.StalledStream => CanStall,
        ScenarioKind.FirstCall => CanRedirect,
        _ => true,
    };

    public async Task<Measurement> RunAsync(Scenario scenario, LoadSettings settings, bool warmup, CancellationToken cancellationToken)
    {
        var measurement = await RunOnceAsync(scenario, settings, warmup, cancellationToken);
        if (scenario.Path == MemberPath.Redirected && !warmup)
        {
            await CheckRedirectedAsync(cancellationToken);
        }

        return measurement;
    }

    private Task<Measurement> RunOnceAsync(Scenario scenario, LoadSettings settings, bool warmup, CancellationToken cancellationToken)
    {
        TimeSpan time = warmup ? settings.Warmup : settings.Duration;
        var path = scenario.Path;
        switch (scenario.Kind)
        {
            case ScenarioKind.Sequential when !warmup:
                return LoadDriver.SequentialAsync(Echo(scenario.PayloadBytes, path), settings.SequentialCount, settings.Duration * 2, cancellationToken);
            case ScenarioKind.Sequential:
            case ScenarioKind.Throughput:
            case ScenarioKind.LargeEcho:
                return LoadDriver.ClosedLoopAsync(Echo(scenario.PayloadBytes, path), scenario.InFlight, time, cancellationToken);
            case ScenarioKind.Empty:
                return LoadDriver.ClosedLoopAsync(async () =>
                {
                    await EmptyAsync();
                    return 0;
                }, scenario.InFlight, time, cancellationToken);
            case ScenarioKind.Stream:
                return LoadDriver.StreamAsync(bytes => StreamAsync(bytes, path), warmup ? settings.StreamWarmupBytes : settings.StreamBytes);
            case ScenarioKind.StalledStream when warmup:
                // One small stream read to the end: the data path is compiled and its first buffers
                // exist before the resting memory is read, without a gigabyte having grown the heap.
                return LoadDriver.StreamAsync(bytes => StreamAsync(bytes, path), StallWarmupBytes);
            case ScenarioKind.StalledStream:
                return StallAsync(settings.StreamBytes, settings.StallHold, cancellationToken);
            case ScenarioKind.FirstCall:
                return FirstCallAsync(warmup ? Math.Min(3, settings.FirstCallClients) : settings.FirstCallClients, cancellationToken);
            case ScenarioKind.IdleConnections:
                return IdleAsync(warmup ? Math.Min(100, settings.IdleConnections) : settings.IdleConnections, cancellationToken);
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario));
        }
    }

    /// <summary>Bytes of the stream read to the end before the stalled one.</summary>
    public const long StallWarmupBytes = 1L << 20;

    private Func<Task<int>> Echo(int size, MemberPath path)
    {
        if (!_payloads.TryGetValue(size, out var payload))
        {
            payload = new byte[size];
            new Random(size).NextBytes(payload);
            _payloads[size] = payload;
        }

        return async () =>
        {
            int n = await EchoAsync(payload, path);
            return n == payload.Length ? n : throw new InvalidOperationException($"{Id}: echoed {n} of {payload.Length} bytes");
        };
    }

    public abstract ValueTask DisposeAsync();
}
