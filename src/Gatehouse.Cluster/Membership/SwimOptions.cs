namespace Gatehouse.Cluster.Membership;

/// <summary>
/// Parameters of the membership protocol. The defaults are HashiCorp memberlist's LAN defaults
/// (docs/cluster.md, "Parameters"); every value is checked against a safe range when set and
/// <see cref="Validate"/> checks the values against each other.
/// </summary>
public sealed record SwimOptions
{
    private readonly TimeSpan _probeInterval = TimeSpan.FromSeconds(1);
    private readonly TimeSpan _probeTimeout = TimeSpan.FromMilliseconds(500);
    private readonly int _indirectChecks = 3;
    private readonly int _suspicionMult = 4;
    private readonly int _suspicionMaxTimeoutMult = 6;
    private readonly int _awarenessMaxMultiplier = 8;
    private readonly TimeSpan _gossipInterval = TimeSpan.FromMilliseconds(200);
    private readonly int _gossipNodes = 3;
    private readonly int _retransmitMult = 4;
    private readonly TimeSpan _pushPullInterval = TimeSpan.FromSeconds(30);
    private readonly int _maxConcurrentPushPulls = 128;
    private readonly TimeSpan _gossipToTheDeadTime = TimeSpan.FromSeconds(30);
    private readonly TimeSpan _reconnectInterval = TimeSpan.FromSeconds(30);
    private readonly TimeSpan _deadMemberRetention = TimeSpan.FromHours(1);
    private readonly int _maxDatagramSize = 1200;
    private readonly int _maxMetadataSize = 256;
    private readonly int _maxMembers = 10_000;

    /// <summary>Time between probes of one random member (100 ms to 60 s; default 1 s). Local health stretches it.</summary>
    public TimeSpan ProbeInterval { get => _probeInterval; init => _probeInterval = Range(value, 100, 60_000, nameof(ProbeInterval)); }

    /// <summary>How long a direct probe waits for its ack before indirect probes start (10 ms to 30 s; default 500 ms; below <see cref="ProbeInterval"/>).</summary>
    public TimeSpan ProbeTimeout { get => _probeTimeout; init => _probeTimeout = Range(value, 10, 30_000, nameof(ProbeTimeout)); }

    /// <summary>Members asked to probe a member that did not answer (0 to 16; default 3).</summary>
    public int IndirectChecks { get => _indirectChecks; init => _indirectChecks = Range(value, 0, 16, nameof(IndirectChecks)); }

    /// <summary>Shortest suspicion is this x max(1, log10 n) x <see cref="ProbeInterval"/> (1 to 64; default 4).</summary>
    public int SuspicionMult { get => _suspicionMult; init => _suspicionMult = Range(value, 1, 64, nameof(SuspicionMult)); }

    /// <summary>A suspicion starts at this multiple of the shortest and shrinks with confirmations (1 to 100; default 6).</summary>
    public int SuspicionMaxTimeoutMult { get => _suspicionMaxTimeoutMult; init => _suspicionMaxTimeoutMult = Range(value, 1, 100, nameof(SuspicionMaxTimeoutMult)); }

    /// <summary>Local health may stretch probe interval and timeout up to this factor (1 to 64; default 8; 1 turns it off).</summary>
    public int AwarenessMaxMultiplier { get => _awarenessMaxMultiplier; init => _awarenessMaxMultiplier = Range(value, 1, 64, nameof(AwarenessMaxMultiplier)); }

    /// <summary>Time between gossip rounds while updates are queued (10 ms to 10 s; default 200 ms).</summary>
    public TimeSpan GossipInterval { get => _gossipInterval; init => _gossipInterval = Range(value, 10, 10_000, nameof(GossipInterval)); }

    /// <summary>Members each gossip round sends to (1 to 32; default 3).</summary>
    public int GossipNodes { get => _gossipNodes; init => _gossipNodes = Range(value, 1, 32, nameof(GossipNodes)); }

    /// <summary>Each update is sent this x ceil(log10(n + 1)) times (1 to 32; default 4).</summary>
    public int RetransmitMult { get => _retransmitMult; init => _retransmitMult = Range(value, 1, 32, nameof(RetransmitMult)); }

    /// <summary>Full-state exchange with one random member over the reliable path (1 s to 1 h, or zero for never; default 30 s; stretched above 32 members).</summary>
    public TimeSpan PushPullInterval
    {
        get => _pushPullInterval;
        init => _pushPullInterval = value == TimeSpan.Zero ? value : Range(value, 1_000, 3_600_000, nameof(PushPullInterval));
    }

    /// <summary>Full-state exchanges in progress at once, incoming and outgoing (1 to 1,024; default 128).</summary>
    public int MaxConcurrentPushPulls { get => _maxConcurrentPushPulls; init => _maxConcurrentPushPulls = Range(value, 1, 1024, nameof(MaxConcurrentPushPulls)); }

    /// <summary>How long a member declared dead still receives gossip, so that it can hear of it and refute (0 to 1 h; default 30 s).</summary>
    public TimeSpan GossipToTheDeadTime { get => _gossipToTheDeadTime; init => _gossipToTheDeadTime = Range(value, 0, 3_600_000, nameof(GossipToTheDeadTime)); }

    /// <summary>Time between full-state exchanges with one random dead member, which heals partitions (1 s to 1 h, or zero for never; default 30 s).</summary>
    public TimeSpan ReconnectInterval
    {
        get => _reconnectInterval;
        init => _reconnectInterval = value == TimeSpan.Zero ? value : Range(value, 1_000, 3_600_000, nameof(ReconnectInterval));
    }

    /// <summary>How long dead and departed members stay listed before they are forgotten (1 s to 7 days; default 1 h).</summary>
    public TimeSpan DeadMemberRetention { get => _deadMemberRetention; init => _deadMemberRetention = Range(value, 1_000, 7 * 86_400_000L, nameof(DeadMemberRetention)); }

    /// <summary>Largest datagram sent, sealed header and tag included (576 to 1,200; default 1,200).</summary>
    public int MaxDatagramSize { get => _maxDatagramSize; init => _maxDatagramSize = Range(value, 576, Wire.WireLimits.MaxDatagramBytes, nameof(MaxDatagramSize)); }

    /// <summary>Largest metadata record a member may set (0 to 512; default 256).</summary>
    public int MaxMetadataSize { get => _maxMetadataSize; init => _maxMetadataSize = Range(value, 0, Wire.WireLimits.MaxMetadataBytes, nameof(MaxMetadataSize)); }

    /// <summary>Members listed at most; alive news of further members is dropped and counted (2 to 100,000; default 10,000).</summary>
    public int MaxMembers { get => _maxMembers; init => _maxMembers = Range(value, 2, 100_000, nameof(MaxMembers)); }

    /// <summary>The defaults.</summary>
    public static SwimOptions Default { get; } = new();

    /// <summary>Checks the values against each other; throws <see cref="ArgumentOutOfRangeException"/> when they clash.</summary>
    public SwimOptions Validate()
    {
        if (ProbeTimeout >= ProbeInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(ProbeTimeout), ProbeTimeout, $"the probe timeout must be shorter than the probe interval ({ProbeInterval})");
        }

        return this;
    }

    /// <summary>Shortest suspicion for <paramref name="members"/> live members.</summary>
    public TimeSpan SuspicionMinimum(int members) =>
        ProbeInterval * (SuspicionMult * Math.Max(1.0, Math.Log10(Math.Max(1, members))));

    /// <summary>Times each update is sent for a cluster of <paramref name="members"/>.</summary>
    public int RetransmitLimit(int members) => RetransmitMult * (int)Math.Ceiling(Math.Log10(members + 1));

    /// <summary>The push-pull interval for <paramref name="members"/>: unchanged up to 32, then one more multiple per doubling.</summary>
    public TimeSpan PushPullIntervalFor(int members)
    {
        const int threshold = 32;
        if (members <= threshold)
        {
            return PushPullInterval;
        }

        double multiplier = Math.Ceiling(Math.Log2(members) - Math.Log2(threshold)) + 1.0;
        return PushPullInterval * multiplier;
    }

    private static TimeSpan Range(TimeSpan value, long minMs, long maxMs, string name) =>
        value >= TimeSpan.FromMilliseconds(minMs) && value <= TimeSpan.FromMilliseconds(maxMs)
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be {TimeSpan.FromMilliseconds(minMs)} to {TimeSpan.FromMilliseconds(maxMs)}");

    private static int Range(int value, int min, int max, string name) =>
        value >= min && value <= max ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be {min} to {max}");
}
