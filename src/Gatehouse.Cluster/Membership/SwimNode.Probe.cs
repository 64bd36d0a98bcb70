using System.Net;
using Gatehouse.Cluster.Wire;

namespace Gatehouse.Cluster.Membership;

// The failure detector: one probe per (health-scaled) interval, of the next member in a shuffled
// round-robin; indirect probes and the reliable path when the direct probe gets no ack; suspicion
// when nothing answers; Lifeguard's local-health bookkeeping.
public sealed partial class SwimNode
{
    private readonly List<string> _probeOrder = [];
    private readonly Dictionary<uint, PendingAck> _pending = [];
    private readonly Queue<string> _probeSoon = new();
    private int _probeIndex;
    private uint _nextSequence;
    private ITimer? _probeTimer;
    private ITimer? _probeStepTimer;
    private Probe? _probe;

    private void ScheduleProbe(TimeSpan due)
    {
        if (_stopped || _leaving)
        {
            return;
        }

        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }

        if (_probeTimer is null)
        {
            _probeTimer = _time.CreateTimer(static s => ((SwimNode)s!).OnProbeTick(), this, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _probeTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnProbeTick()
    {
        lock (_lock)
        {
            if (_stopped || _leaving)
            {
                return;
            }

            ReapForgotten();
            TimeSpan interval = _awareness.Scale(_options.ProbeInterval);
            MemberRecord? target = NextProbeTarget();
            if (target is null)
            {
                ScheduleProbe(interval);
                return;
            }

            StartProbe(target, interval);
        }
    }

    /// <summary>
    /// The next member to probe: first any member this node heard suspected by others (so that its own
    /// probe confirms or clears the suspicion soon, instead of up to a full round later) or was told to
    /// probe soon (<see cref="ProbeSoon"/>), then the next live member in the shuffled order, reshuffled
    /// after each full pass.
    /// </summary>
    private MemberRecord? NextProbeTarget()
    {
        while (_probeSoon.TryDequeue(out string? soon))
        {
            if (_members.TryGetValue(soon, out MemberRecord? s) && s.IsLive && soon != _self.Id)
            {
                return s;
            }
        }

        for (int tried = 0; tried <= _probeOrder.Count; tried++)
        {
            if (_probeIndex >= _probeOrder.Count)
            {
                Shuffle(_probeOrder);
                _probeIndex = 0;
            }

            string id = _probeOrder[_probeIndex++];
            if (id != _self.Id && _members.TryGetValue(id, out MemberRecord? m) && m.IsLive)
            {
                return m;
            }
        }

        return null;
    }

    /// <summary>
    /// Probes <paramref name="memberId"/> next, ahead of the shuffled order: a hint from outside SWIM
    /// (the gateway's TLS link to it was closed by its kernel: the process may have died). A hint, not
    /// a verdict: the member is only suspected if that probe fails. At most 16 hints are queued.
    /// </summary>
    public void ProbeSoon(string memberId)
    {
        lock (_lock)
        {
            if (!_stopped && memberId != _self.Id && _members.TryGetValue(memberId, out MemberRecord? m) && m.IsLive
                && _probeSoon.Count < 16 && !_probeSoon.Contains(memberId))
            {
                _probeSoon.Enqueue(memberId);
            }
        }
    }

    private void StartProbe(MemberRecord target, TimeSpan interval)
    {
        uint seq = ++_nextSequence;
        var probe = new Probe(this, target, seq, _time.GetTimestamp(), interval);
        _probe = probe;
        _pending[seq] = probe;
        Counters._probes++;
        SendWithGossip(target.Address, new PingMessage(seq, target.Id));
        TimeSpan timeout = _awareness.Scale(_options.ProbeTimeout);
        _probeStepTimer ??= _time.CreateTimer(static s => ((SwimNode)s!).OnProbeStep(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _probeStepTimer.Change(timeout, Timeout.InfiniteTimeSpan);
    }

    private void OnProbeStep()
    {
        lock (_lock)
        {
            if (_stopped || _probe is not { Finished: false } probe)
            {
                return;
            }

            if (!probe.IndirectStarted)
            {
                StartIndirect(probe);
            }
            else
            {
                FinishProbe(probe, probe.AckedUdp || probe.AckedReliable);
            }
        }
    }

    /// <summary>The direct probe timed out: ask helpers, try the reliable path, wait until the end of the interval.</summary>
    private void StartIndirect(Probe probe)
    {
        probe.IndirectStarted = true;
        List<MemberRecord> helpers = PickRandom(_options.IndirectChecks, m => m.State == MemberState.Alive && m.Id != probe.Target.Id);
        probe.Helpers = helpers.ConvertAll(h => h.Id);
        var request = new IndirectPingMessage(probe.Sequence, IndirectPingFlags.WantNack, probe.Target.Id, probe.Target.Address);
        foreach (MemberRecord helper in helpers)
        {
            Counters._indirectProbesSent++;
            SendWithGossip(helper.Address, request);
        }

        TimeSpan remaining = probe.Interval - _time.GetElapsedTime(probe.Started);
        if (_exchange is not null && remaining > TimeSpan.Zero)
        {
            StartReliablePing(probe, remaining);
        }

        _probeStepTimer!.Change(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void StartReliablePing(Probe probe, TimeSpan limit)
    {
        Task<bool> ping;
        try
        {
            ping = _exchange!.PingAsync(probe.Target.Address, probe.Target.Id, _exchangeCancel.Token).WaitAsync(limit, _time);
        }
        catch (Exception e)
        {
            // The integration layer threw instead of returning a faulted task: a failed reliable ping.
            Log.PushPullFailed(_logger, probe.Target.Address, e.Message);
            return;
        }

        ping.ContinueWith(
            static (t, s) =>
            {
                var p = (Probe)s!;
                _ = t.Exception; // a timed-out or failed ping is a failed ping: observed here, never unobserved
                lock (p.Node._lock)
                {
                    if (t.IsCompletedSuccessfully && t.Result && !p.Finished)
                    {
                        p.AckedReliable = true;
                    }
                }
            },
            probe,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void FinishProbe(Probe? probe, bool success)
    {
        if (probe is null || probe.Finished)
        {
            return;
        }

        probe.Finished = true;
        _pending.Remove(probe.Sequence);
        if (ReferenceEquals(_probe, probe))
        {
            _probe = null;
            _probeStepTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        MemberRecord target = probe.Target;
        if (success)
        {
            _awareness.Apply(-1);
            if (probe.AckedUdp)
            {
                if (target.UdpBlockedLogged)
                {
                    target.UdpBlockedLogged = false;
                    Log.UdpWorksAgain(_logger, target.Id);
                }
            }
            else if (probe.AckedReliable)
            {
                Counters._reliablePingsOk++;
                if (!target.UdpBlockedLogged)
                {
                    target.UdpBlockedLogged = true;
                    Log.UdpBlocked(_logger, target.Id, target.Address);
                }
            }
        }
        else if (!_leaving && !_stopped)
        {
            Counters._probesFailed++;
            int expected = probe.Helpers?.Count ?? 0;
            _awareness.Apply(expected > 0 ? Math.Max(0, expected - probe.Nacks) : 1);
            if (target.State == MemberState.Alive)
            {
                Counters._suspicionsRaised++;
            }

            ApplySuspect(new SuspectMessage(target.Incarnation, target.Id, _self.Id));
        }

        if (!_leaving && !_stopped)
        {
            ScheduleProbe(probe.Interval - _time.GetElapsedTime(probe.Started));
        }
    }

    /// <summary>Acting as a helper: probe <paramref name="request"/>'s target and report back to <paramref name="requester"/>.</summary>
    private void Relay(IndirectPingMessage request, IPEndPoint requester)
    {
        uint seq = ++_nextSequence;
        var relay = new RelayedProbe(this, request, requester, seq);
        _pending[seq] = relay;
        // The nack must reach the requester before its probe interval ends (it sent us the request a probe
        // timeout into that interval), so give up at 80% of a probe timeout; a late nack would count
        // against the requester's health.
        relay.Timer = _time.CreateTimer(static s => ((RelayedProbe)s!).OnTimeout(), relay, _awareness.Scale(_options.ProbeTimeout * 0.8), Timeout.InfiniteTimeSpan);
        SendWithGossip(request.TargetAddress, new PingMessage(seq, request.TargetId));
    }

    private void OnAck(uint sequence, string from)
    {
        if (_pending.TryGetValue(sequence, out PendingAck? p))
        {
            p.OnAck(from);
        }
    }

    private void OnNack(uint sequence, string from)
    {
        if (_pending.TryGetValue(sequence, out PendingAck? p))
        {
            p.OnNack(from);
        }
    }

    private void Shuffle(List<string> list)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = _random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    /// <summary>Up to <paramref name="count"/> distinct random members other than this one that match <paramref name="filter"/>.</summary>
    private List<MemberRecord> PickRandom(int count, Func<MemberRecord, bool> filter)
    {
        var picked = new List<MemberRecord>(count);
        if (count == 0 || _probeOrder.Count <= 1)
        {
            return picked;
        }

        // Random probes into the order list first (cheap for large clusters), then a full scan if short.
        int n = _probeOrder.Count;
        for (int attempt = 0; attempt < 3 * n && attempt < 64 && picked.Count < count; attempt++)
        {
            if (_members.TryGetValue(_probeOrder[_random.Next(n)], out MemberRecord? m) && m != _self && filter(m) && !picked.Contains(m))
            {
                picked.Add(m);
            }
        }

        if (picked.Count < count)
        {
            int start = _random.Next(n);
            for (int i = 0; i < n && picked.Count < count; i++)
            {
                if (_members.TryGetValue(_probeOrder[(start + i) % n], out MemberRecord? m) && m != _self && filter(m) && !picked.Contains(m))
                {
                    picked.Add(m);
                }
            }
        }

        return picked;
    }

    /// <summary>An outstanding sequence number: a probe of ours or a probe we relay.</summary>
    private abstract class PendingAck(SwimNode node)
    {
        public SwimNode Node { get; } = node;

        public ITimer? Timer { get; set; }

        public abstract void OnAck(string from);

        public virtual void OnNack(string from)
        {
        }
    }

    private sealed class Probe(SwimNode node, MemberRecord target, uint sequence, long started, TimeSpan interval) : PendingAck(node)
    {
        public MemberRecord Target { get; } = target;

        public uint Sequence { get; } = sequence;

        public long Started { get; } = started;

        public TimeSpan Interval { get; } = interval;

        public bool IndirectStarted { get; set; }

        public List<string>? Helpers { get; set; }

        public bool AckedUdp { get; set; }

        public bool AckedReliable { get; set; }

        public int Nacks { get; set; }

        public bool Finished { get; set; }

        public override void OnAck(string from)
        {
            // Only the target itself, or a helper we asked, may vouch for the target.
            if (from == Target.Id || (Helpers?.Contains(from) ?? false))
            {
                AckedUdp = true;
                Node.FinishProbe(this, success: true);
            }
        }

        public override void OnNack(string from)
        {
            if (Helpers?.Contains(from) ?? false)
            {
                Nacks++;
            }
        }
    }

    private sealed class RelayedProbe(SwimNode node, IndirectPingMessage request, IPEndPoint requester, uint sequence) : PendingAck(node)
    {
        private bool _done;

        public override void OnAck(string from)
        {
            if (_done || from != request.TargetId)
            {
                return;
            }

            Done();
            Node.SendWithGossip(requester, new AckMessage(request.Sequence));
        }

        public void OnTimeout()
        {
            lock (Node._lock)
            {
                if (_done || Node._stopped)
                {
                    return;
                }

                Done();
                if ((request.Flags & IndirectPingFlags.WantNack) != 0)
                {
                    Node.SendWithGossip(requester, new NackMessage(request.Sequence));
                }
            }
        }

        private void Done()
        {
            _done = true;
            Timer?.Dispose();
            Node._pending.Remove(sequence);
        }
    }
}
