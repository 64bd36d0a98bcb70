namespace Gatehouse.Cluster.Membership;

/// <summary>What a node did, for metrics, the benchmark and tests. Updated under the node's lock; read at any time.</summary>
public sealed class SwimCounters
{
    internal long _datagramsSent;
    internal long _bytesSent;
    internal long _datagramsReceived;
    internal long _bytesReceived;
    internal long _bodiesMalformed;
    internal long _probes;
    internal long _probesFailed;
    internal long _indirectProbesSent;
    internal long _reliablePingsOk;
    internal long _suspicionsRaised;
    internal long _refutations;
    internal long _pushPulls;
    internal long _pushPullsFailed;
    internal long _pushPullsRefused;
    internal long _membersRefused;
    internal long _wrongTargetPings;

    /// <summary>Datagrams sent (sealed).</summary>
    public long DatagramsSent => Volatile.Read(ref _datagramsSent);

    /// <summary>Bytes of sealed datagrams sent.</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    /// <summary>Datagrams received (before authentication).</summary>
    public long DatagramsReceived => Volatile.Read(ref _datagramsReceived);

    /// <summary>Bytes of datagrams received.</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>Authenticated datagrams whose body did not decode (a member running broken code).</summary>
    public long BodiesMalformed => Volatile.Read(ref _bodiesMalformed);

    /// <summary>Probes started.</summary>
    public long Probes => Volatile.Read(ref _probes);

    /// <summary>Probes that ended with no ack by any path.</summary>
    public long ProbesFailed => Volatile.Read(ref _probesFailed);

    /// <summary>Indirect ping requests sent.</summary>
    public long IndirectProbesSent => Volatile.Read(ref _indirectProbesSent);

    /// <summary>Probes saved by the reliable path after UDP failed.</summary>
    public long ReliablePingsOk => Volatile.Read(ref _reliablePingsOk);

    /// <summary>Suspicions this node started.</summary>
    public long SuspicionsRaised => Volatile.Read(ref _suspicionsRaised);

    /// <summary>Times this node refuted a suspicion or death of itself.</summary>
    public long Refutations => Volatile.Read(ref _refutations);

    /// <summary>Full-state exchanges completed (either side).</summary>
    public long PushPulls => Volatile.Read(ref _pushPulls);

    /// <summary>Outgoing full-state exchanges that failed.</summary>
    public long PushPullsFailed => Volatile.Read(ref _pushPullsFailed);

    /// <summary>Full-state exchanges refused or skipped at the concurrency cap.</summary>
    public long PushPullsRefused => Volatile.Read(ref _pushPullsRefused);

    /// <summary>Members not added because the table was full.</summary>
    public long MembersRefused => Volatile.Read(ref _membersRefused);

    /// <summary>Pings naming another member as target (a stale address).</summary>
    public long WrongTargetPings => Volatile.Read(ref _wrongTargetPings);
}
