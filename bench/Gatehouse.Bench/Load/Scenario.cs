namespace Gatehouse.Bench.Load;

/// <summary>What a measurement does.</summary>
public enum ScenarioKind
{
    /// <summary>One 64-byte echo at a time; every latency recorded.</summary>
    Sequential,

    /// <summary>64-byte echoes with a fixed number in flight, for a fixed time.</summary>
    Throughput,

    /// <summary>1 MiB echoes with a fixed number in flight, for a fixed time.</summary>
    LargeEcho,

    /// <summary>A command with no input and no output (<c>true</c>), one at a time.</summary>
    Empty,

    /// <summary>One call streaming a large output to the caller.</summary>
    Stream,

    /// <summary>Many authenticated connections held open and idle: the server's memory.</summary>
    IdleConnections,

    /// <summary>
    /// One call streaming a large output whose caller stops reading after the first chunk: the
    /// resident memory of the gateway in the middle (the forwarding member) while it is held.
    /// </summary>
    StalledStream,

    /// <summary>
    /// New clients one after another, each connected to the redirecting member first (not timed):
    /// the latency of its first 64 B echo, which is redirected (see-other-host, a new connection to
    /// the member with the route, the call made there).
    /// </summary>
    FirstCall,
}

/// <summary>How a request reaches the member the service is attached to.</summary>
public enum MemberPath
{
    /// <summary>The client talks to that member.</summary>
    Direct,

    /// <summary>
    /// The client talks to a second member of a cluster that has no local route and passes the
    /// request on (Gatehouse: gateway B forwards to gateway A; NATS: server B routes to server A).
    /// </summary>
    Forwarded,

    /// <summary>
    /// The client talks to the second member, which answers see-other-host naming the member with
    /// the route; the client follows, and sends later calls of that command straight there
    /// (Gatehouse only: B's redirect policy for the domain is <c>redirect</c>).
    /// </summary>
    Redirected,
}

/// <summary>One measured workload.</summary>
/// <param name="Id">Stable identifier (JSON key).</param>
/// <param name="Kind">What runs.</param>
/// <param name="InFlight">Requests kept in flight.</param>
/// <param name="PayloadBytes">Request payload (echoed back).</param>
/// <param name="Path">How requests reach the service's member: directly, forwarded by a second member, or redirected by it.</param>
public sealed record Scenario(string Id, ScenarioKind Kind, int InFlight, int PayloadBytes, MemberPath Path = MemberPath.Direct)
{
    /// <summary>True when the client talks to the second member (forwarded or redirected): it is started first, and its CPU measured.</summary>
    public bool ThroughSecondMember => Path != MemberPath.Direct;

    /// <summary>The workloads, in the order they run.</summary>
    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("seq", ScenarioKind.Sequential, 1, 64),
        new("c1", ScenarioKind.Throughput, 1, 64),
        new("c16", ScenarioKind.Throughput, 16, 64),
        new("c128", ScenarioKind.Throughput, 128, 64),
        new("mib", ScenarioKind.LargeEcho, 8, 1_048_576),
        new("true", ScenarioKind.Empty, 1, 0),
        new("stream", ScenarioKind.Stream, 1, 0),
        new("fwd_seq", ScenarioKind.Sequential, 1, 64, Path: MemberPath.Forwarded),
        new("fwd_c128", ScenarioKind.Throughput, 128, 64, Path: MemberPath.Forwarded),
        // Before fwd_stream: the forwarding member's memory has not yet been grown by a gigabyte
        // passing through it, so what the stalled stream holds shows in its RSS.
        new("fwd_stall", ScenarioKind.StalledStream, 1, 0, Path: MemberPath.Forwarded),
        new("fwd_stream", ScenarioKind.Stream, 1, 0, Path: MemberPath.Forwarded),
        // The same workloads through B with a client that follows redirects, in a domain whose
        // policy on B is redirect: each command's first call is redirected to A during warm-up,
        // the measured calls go straight to A.
        new("rdr_seq", ScenarioKind.Sequential, 1, 64, Path: MemberPath.Redirected),
        new("rdr_c128", ScenarioKind.Throughput, 128, 64, Path: MemberPath.Redirected),
        new("rdr_stream", ScenarioKind.Stream, 1, 0, Path: MemberPath.Redirected),
        new("rdr_first", ScenarioKind.FirstCall, 1, 64, Path: MemberPath.Redirected),
        new("idle", ScenarioKind.IdleConnections, 0, 0),
    ];

    /// <summary>The scenario called <paramref name="id"/>.</summary>
    public static Scenario Find(string id) => All.Single(s => s.Id == id);
}

/// <summary>How long and how often to measure (immutable; <see cref="Smoke"/> and <see cref="Full"/>).</summary>
public sealed record LoadSettings
{
    public required TimeSpan Warmup { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>Most requests in a sequential-latency run (it also stops at <see cref="Duration"/> x 2).</summary>
    public required int SequentialCount { get; init; }

    /// <summary>Bytes in the streamed-output scenario.</summary>
    public required long StreamBytes { get; init; }

    /// <summary>Bytes streamed once before measuring.</summary>
    public required long StreamWarmupBytes { get; init; }

    public required int Repetitions { get; init; }

    /// <summary>Connections opened in the idle-connections scenario.</summary>
    public required int IdleConnections { get; init; }

    /// <summary>How long the stalled stream is held (the forwarding member's RSS sampled throughout).</summary>
    public required TimeSpan StallHold { get; init; }

    /// <summary>New clients whose first (redirected) call is timed, per repetition of <c>rdr_first</c>.</summary>
    public required int FirstCallClients { get; init; }

    /// <summary>Tiny counts; finishes the whole run in well under a minute.</summary>
    public static LoadSettings Smoke { get; } = new()
    {
        Warmup = TimeSpan.FromMilliseconds(150),
        Duration = TimeSpan.FromMilliseconds(300),
        SequentialCount = 200,
        StreamBytes = 16L << 20,
        StreamWarmupBytes = 1L << 20,
        Repetitions = 1,
        IdleConnections = 200,
        StallHold = TimeSpan.FromMilliseconds(600),
        FirstCallClients = 3,
    };

    /// <summary>The real run: 1 s warm-up, 3 s measurements, 3 repetitions, 1 GiB stream.</summary>
    public static LoadSettings Full { get; } = new()
    {
        Warmup = TimeSpan.FromSeconds(1),
        Duration = TimeSpan.FromSeconds(3),
        SequentialCount = 10_000,
        StreamBytes = 1L << 30,
        StreamWarmupBytes = 64L << 20,
        Repetitions = 3,
        IdleConnections = 10_000,
        StallHold = TimeSpan.FromSeconds(3),
        FirstCallClients = 20,
    };
}
