using System.Net;
using Gatehouse.Cluster.Security;
using Gatehouse.Cluster.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Cluster.Membership;

/// <summary>
/// One cluster member running SWIM with the Lifeguard refinements (docs/cluster.md). Driven by a
/// <see cref="TimeProvider"/> and an <see cref="IDatagramTransport"/>, so the same code runs over
/// real UDP and over a simulated network.
/// </summary>
/// <remarks>
/// Split by concern: this file holds state and the public surface; <c>.Probe.cs</c> the failure
/// detector; <c>.Receive.cs</c> datagram handling; <c>.State.cs</c> the rules for alive, suspect, dead
/// and left; <c>.Gossip.cs</c> dissemination and sending; <c>.PushPull.cs</c> full-state exchange and join.
/// Every entry point (timer, datagram, API call, exchange completion) takes the one <c>_lock</c>; sends
/// happen under it (the transport never blocks); <see cref="MemberChanged"/> is raised under it, so
/// handlers must be quick and may read the node but must not wait for other threads that use it.
/// </remarks>
public sealed partial class SwimNode : IDisposable
{
    private readonly Lock _lock = new();
    private readonly HashSet<IPEndPoint> _joinFailuresLogged = [];
    private readonly SwimOptions _options;
    private readonly DatagramSecurity _security;
    private readonly IDatagramTransport _transport;
    private readonly IStateExchange? _exchange;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly Dictionary<string, MemberRecord> _members = new(StringComparer.Ordinal);
    private readonly MemberRecord _self;
    private readonly Awareness _awareness;
    private readonly BroadcastQueue _broadcasts = new();
    private bool _started;
    private bool _stopped;
    private bool _leaving;

    /// <summary>Creates a member; nothing is sent until <see cref="Start"/>.</summary>
    /// <param name="memberId">This member's id (1 to 64 UTF-8 bytes); must equal <paramref name="security"/>'s.</param>
    /// <param name="address">Where other members send datagrams to reach this one.</param>
    /// <param name="options">Protocol parameters.</param>
    /// <param name="security">Seals outgoing and opens incoming datagrams.</param>
    /// <param name="transport">Sends and receives datagrams.</param>
    /// <param name="exchange">The reliable path (push-pull, join, fallback probe); null for none.</param>
    /// <param name="time">The clock; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="logger">Where to log.</param>
    /// <param name="random">Source of probe order and gossip targets (seeded in simulations).</param>
    /// <param name="metadata">Initial metadata (at most <see cref="SwimOptions.MaxMetadataSize"/> bytes).</param>
    /// <param name="initialIncarnation">Starting incarnation; by default the clock's Unix seconds, so a restarted member outranks what others remember of its previous run.</param>
    public SwimNode(
        string memberId,
        IPEndPoint address,
        SwimOptions options,
        DatagramSecurity security,
        IDatagramTransport transport,
        IStateExchange? exchange = null,
        TimeProvider? time = null,
        ILogger? logger = null,
        Random? random = null,
        ReadOnlyMemory<byte> metadata = default,
        uint? initialIncarnation = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(security);
        ArgumentNullException.ThrowIfNull(transport);
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        MessageWriter.IdSize(memberId);
        if (security.LocalMemberId != memberId)
        {
            throw new ArgumentException($"the security is for member {security.LocalMemberId}, not {memberId}", nameof(security));
        }

        CheckMetadata(metadata);
        _security = security;
        _transport = transport;
        _exchange = exchange;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _random = random ?? new Random();
        _awareness = new Awareness(_options.AwarenessMaxMultiplier);
        uint incarnation = initialIncarnation ?? (uint)Math.Clamp(_time.GetUtcNow().ToUnixTimeSeconds(), 1, uint.MaxValue / 2);
        _self = new MemberRecord(memberId, address, incarnation, MemberState.Alive, metadata.ToArray(), _time.GetUtcNow());
        _members.Add(memberId, _self);
        _probeOrder.Add(memberId);
        _bodyBuffer = new byte[_security.MaxBody(_options.MaxDatagramSize)];
    }

    /// <summary>Raised (under the node's lock) when another member is learned of or its state, address or metadata changes.</summary>
    public event EventHandler<MemberChange>? MemberChanged;

    /// <summary>
    /// Raised (under the node's lock: handlers only note it) with the claimed sender of a datagram
    /// sealed under a key this node does not hold for a sender it knows: that member rotated (or
    /// restarted) and its new key has not reached this node. The integration layer fetches it over
    /// TLS. The claim is not authenticated: rate-limit what it triggers.
    /// </summary>
    public event Action<string>? KeyMissing;

    /// <summary>This member's id.</summary>
    public string Id => _self.Id;

    /// <summary>The options in force.</summary>
    public SwimOptions Options => _options;

    /// <summary>What this node did.</summary>
    public SwimCounters Counters { get; } = new();

    /// <summary>This member's current incarnation.</summary>
    public uint Incarnation
    {
        get
        {
            lock (_lock)
            {
                return _self.Incarnation;
            }
        }
    }

    /// <summary>Lifeguard's local health score: 0 is healthy; probe interval and timeout are multiplied by score + 1.</summary>
    public int HealthScore
    {
        get
        {
            lock (_lock)
            {
                return _awareness.Score;
            }
        }
    }

    /// <summary>Every member this node knows, itself included.</summary>
    public IReadOnlyList<MemberSnapshot> Members
    {
        get
        {
            lock (_lock)
            {
                return SnapshotUnsynchronized();
            }
        }
    }

    /// <summary>Members alive or suspect, this one included.</summary>
    public int LiveMemberCount
    {
        get
        {
            lock (_lock)
            {
                return _liveCount;
            }
        }
    }

    /// <summary>How many known members other than this one are in <paramref name="state"/> (cheap: no snapshots).</summary>
    internal int CountOthers(MemberState state)
    {
        lock (_lock)
        {
            int n = 0;
            foreach (MemberRecord m in _members.Values)
            {
                if (m != _self && m.State == state)
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>The member <paramref name="id"/> as this node sees it, or null.</summary>
    public MemberSnapshot? Find(string id)
    {
        lock (_lock)
        {
            return _members.TryGetValue(id, out MemberRecord? m) ? m.Snapshot() : null;
        }
    }

    /// <summary>Starts receiving, probing and gossiping. A node alone sends nothing until it knows another member.</summary>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_started)
            {
                return;
            }

            _started = true;
            _transport.SetReceiver(Receive);
            Log.Started(_logger, _self.Id, _self.Incarnation);
            QueueSelfAlive();
            ScheduleProbe(_options.ProbeInterval * _random.NextDouble());
            StartPushPullTimers();
        }
    }

    /// <summary>
    /// Publishes new metadata: raises the incarnation and gossips an alive message carrying it.
    /// </summary>
    public void UpdateMetadata(ReadOnlyMemory<byte> metadata)
    {
        CheckMetadata(metadata);
        lock (_lock)
        {
            _self.Metadata = metadata.ToArray();
            if (_leaving || _stopped)
            {
                return; // a member that left stays left: no new incarnation announced as alive
            }

            _self.Incarnation++;
            _self.ChangedAt = _time.GetUtcNow();
            QueueSelfAlive();
        }
    }

    /// <summary>
    /// Leaves on purpose: stops probing, raises the incarnation and gossips a leave at once to
    /// <see cref="SwimOptions.GossipNodes"/> members (and piggybacked thereafter). Call <see cref="Stop"/>
    /// after a short while (a few gossip intervals) so that the news spreads; <see cref="LeaveAsync"/> does both.
    /// </summary>
    public void Leave()
    {
        lock (_lock)
        {
            if (_stopped || _leaving)
            {
                return;
            }

            _leaving = true;
            _self.Incarnation++;
            _self.State = MemberState.Left;
            _self.ChangedAt = _time.GetUtcNow();
            Log.Leaving(_logger, _self.Id, _self.Incarnation);
            _probeTimer?.Dispose();
            _probeTimer = null;
            FinishProbe(_probe, success: true);
            Enqueue(_self.Id, new LeaveMessage(_self.Incarnation, _self.Id));
            GossipRound();
        }
    }

    /// <summary>Leaves, waits until the leave was sent its full number of times or <paramref name="maxWait"/> passed, then stops.</summary>
    public async Task LeaveAsync(TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        Leave();
        long start = _time.GetTimestamp();
        while (_time.GetElapsedTime(start) < maxWait && !cancellationToken.IsCancellationRequested)
        {
            lock (_lock)
            {
                if (!_broadcasts.Contains(_self.Id))
                {
                    break;
                }
            }

            await Task.Delay(_options.GossipInterval, _time, cancellationToken).ConfigureAwait(false);
        }

        Stop();
    }

    /// <summary>Stops every timer and ignores datagrams from now on. Sends nothing (see <see cref="Leave"/>).</summary>
    public void Stop()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            _transport.SetReceiver(null);
            _probeTimer?.Dispose();
            _probeStepTimer?.Dispose();
            _gossipTimer?.Dispose();
            _pushPullTimer?.Dispose();
            _reconnectTimer?.Dispose();
            foreach (MemberRecord m in _members.Values)
            {
                m.Suspicion?.Dispose();
                m.Suspicion = null;
            }

            foreach (PendingAck p in _pending.Values)
            {
                p.Timer?.Dispose();
            }

            _pending.Clear();
            _broadcasts.Clear();
            _exchangeCancel.Cancel();
            Log.Stopped(_logger, _self.Id);
        }
    }

    /// <summary>Stops the node (<see cref="Stop"/>).</summary>
    public void Dispose()
    {
        Stop();
        _exchangeCancel.Dispose();
    }

    private void CheckMetadata(ReadOnlyMemory<byte> metadata)
    {
        if (metadata.Length > _options.MaxMetadataSize)
        {
            throw new ArgumentOutOfRangeException(nameof(metadata), metadata.Length, $"metadata is at most {_options.MaxMetadataSize} bytes");
        }
    }

    private List<MemberSnapshot> SnapshotUnsynchronized()
    {
        var list = new List<MemberSnapshot>(_members.Count);
        foreach (MemberRecord m in _members.Values)
        {
            list.Add(m.Snapshot());
        }

        return list;
    }

    private void QueueSelfAlive() =>
        Enqueue(_self.Id, new AliveMessage(_self.Incarnation, _self.Id, _self.Address, _self.Metadata));

    private void Raise(MemberSnapshot? previous, MemberRecord current)
    {
        MemberSnapshot now = current.Snapshot();
        if (previous is null || previous.State != now.State)
        {
            Log.StateChanged(_logger, now.Id, now.State, now.Incarnation, now.Address);
        }

        MemberChanged?.Invoke(this, new MemberChange(previous, now));
    }
}
