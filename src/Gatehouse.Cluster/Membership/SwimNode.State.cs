using Gatehouse.Cluster.Wire;

namespace Gatehouse.Cluster.Membership;

// The rules for alive, suspect, dead and left. An update about a member wins when its incarnation is
// higher; at equal incarnation, suspect beats alive and dead/left beat suspect. Only a member raises
// its own incarnation, to refute or to publish new metadata. Every accepted update is re-gossiped.
public sealed partial class SwimNode
{
    private int _liveCount = 1;

    private void ApplyAlive(AliveMessage a)
    {
        if (a.MemberId == _self.Id)
        {
            bool differs = !a.Address.Equals(_self.Address) || !a.Metadata.Span.SequenceEqual(_self.Metadata.Span);
            if (!_leaving && (a.Incarnation > _self.Incarnation || (a.Incarnation == _self.Incarnation && differs)))
            {
                Refute("an alive with other data", a.Incarnation);
            }

            return;
        }

        if (!_members.TryGetValue(a.MemberId, out MemberRecord? m))
        {
            if (_members.Count >= _options.MaxMembers)
            {
                Counters._membersRefused++;
                Log.TableFull(_logger, _options.MaxMembers, a.MemberId);
                return;
            }

            m = new MemberRecord(a.MemberId, a.Address, a.Incarnation, MemberState.Alive, a.Metadata, _time.GetUtcNow());
            _members.Add(m.Id, m);
            _liveCount++;
            _probeOrder.Insert(_random.Next(_probeOrder.Count + 1), m.Id);
            Enqueue(m.Id, a);
            Raise(null, m);
            return;
        }

        if (a.Incarnation <= m.Incarnation)
        {
            return;
        }

        MemberSnapshot before = m.Snapshot();
        bool changed = m.State != MemberState.Alive || !m.Address.Equals(a.Address) || !m.Metadata.Span.SequenceEqual(a.Metadata.Span);
        m.Incarnation = a.Incarnation;
        m.Address = a.Address;
        m.Metadata = a.Metadata;
        SetState(m, MemberState.Alive);
        Enqueue(m.Id, a);
        if (changed)
        {
            Raise(before, m);
        }
    }

    private void ApplySuspect(SuspectMessage s)
    {
        if (s.MemberId == _self.Id)
        {
            if (!_leaving && s.Incarnation >= _self.Incarnation)
            {
                Refute("a suspicion", s.Incarnation);
            }

            return;
        }

        if (!_members.TryGetValue(s.MemberId, out MemberRecord? m) || s.Incarnation < m.Incarnation)
        {
            return;
        }

        if (m.State == MemberState.Suspect)
        {
            m.Incarnation = s.Incarnation;
            if (m.Suspicion!.Confirm(s.FromId))
            {
                Enqueue(m.Id, s);
            }

            return;
        }

        if (m.State != MemberState.Alive)
        {
            return;
        }

        MemberSnapshot before = m.Snapshot();
        m.Incarnation = s.Incarnation;
        SetState(m, MemberState.Suspect);
        int n = _liveCount;
        int expected = _options.SuspicionMult - 2;
        if (n - 2 < expected)
        {
            expected = 0;
        }

        TimeSpan min = _options.SuspicionMinimum(n);
        var timeout = new SuspicionTimeout(this, m);
        m.Suspicion = timeout.Owner = new Suspicion(s.FromId, expected, min, min * _options.SuspicionMaxTimeoutMult, _time, static st => ((SuspicionTimeout)st!).Fire(), timeout);
        Enqueue(m.Id, s);
        if (s.FromId != _self.Id && _probeSoon.Count < 16)
        {
            _probeSoon.Enqueue(m.Id);
        }

        Raise(before, m);
    }

    private void ApplyDead(DeadMessage d)
    {
        if (d.MemberId == _self.Id)
        {
            if (!_leaving && d.Incarnation >= _self.Incarnation)
            {
                Refute("a death", d.Incarnation);
            }

            return;
        }

        if (!_members.TryGetValue(d.MemberId, out MemberRecord? m) || d.Incarnation < m.Incarnation || !m.IsLive)
        {
            return;
        }

        MemberSnapshot before = m.Snapshot();
        m.Incarnation = d.Incarnation;
        SetState(m, MemberState.Dead);
        Enqueue(m.Id, d);
        Raise(before, m);
    }

    private void ApplyLeave(LeaveMessage l)
    {
        if (l.MemberId == _self.Id)
        {
            if (!_leaving && l.Incarnation >= _self.Incarnation)
            {
                Refute("a leave", l.Incarnation);
            }

            return;
        }

        if (!_members.TryGetValue(l.MemberId, out MemberRecord? m) || l.Incarnation < m.Incarnation || m.State == MemberState.Left)
        {
            return;
        }

        MemberSnapshot before = m.Snapshot();
        m.Incarnation = l.Incarnation;
        SetState(m, MemberState.Left);
        Enqueue(m.Id, l);
        Raise(before, m);
    }

    private void Refute(string what, uint accused)
    {
        _self.Incarnation = Math.Max(_self.Incarnation, accused) + 1;
        Counters._refutations++;
        _awareness.Apply(1);
        Log.Refuting(_logger, what, accused, _self.Incarnation);
        QueueSelfAlive();
    }

    private void SetState(MemberRecord m, MemberState state)
    {
        if (m.State == state)
        {
            return;
        }

        bool wasLive = m.IsLive;
        if (m.State == MemberState.Suspect)
        {
            m.Suspicion?.Dispose();
            m.Suspicion = null;
        }

        m.State = state;
        m.ChangedAt = _time.GetUtcNow();
        _liveCount += (m.IsLive ? 1 : 0) - (wasLive ? 1 : 0);
    }

    /// <summary>Forgets members dead or gone for longer than <see cref="SwimOptions.DeadMemberRetention"/>.</summary>
    private void ReapForgotten()
    {
        if (_members.Count == _liveCount)
        {
            return;
        }

        DateTimeOffset cutoff = _time.GetUtcNow() - _options.DeadMemberRetention;
        List<string>? gone = null;
        foreach (MemberRecord m in _members.Values)
        {
            if (!m.IsLive && m != _self && m.ChangedAt < cutoff)
            {
                (gone ??= []).Add(m.Id);
            }
        }

        if (gone is null)
        {
            return;
        }

        foreach (string id in gone)
        {
            _members.Remove(id);
            int at = _probeOrder.IndexOf(id);
            _probeOrder.RemoveAt(at);
            if (at < _probeIndex)
            {
                _probeIndex--;
            }
        }
    }

    private sealed class SuspicionTimeout(SwimNode node, MemberRecord member)
    {
        public Suspicion? Owner { get; set; }

        public void Fire()
        {
            lock (node._lock)
            {
                // A timer of an ended suspicion may still fire on a real clock: only the current one counts.
                if (!node._stopped && member.State == MemberState.Suspect && ReferenceEquals(member.Suspicion, Owner))
                {
                    node.ApplyDead(new DeadMessage(member.Incarnation, member.Id, node._self.Id));
                }
            }
        }
    }
}
