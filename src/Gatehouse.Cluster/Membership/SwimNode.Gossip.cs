using System.Net;
using Gatehouse.Cluster.Wire;

namespace Gatehouse.Cluster.Membership;

// Dissemination: queued updates ride on every datagram sent (as many as fit in the 1,200-byte
// budget) and, while any are queued, a gossip round every GossipInterval sends them to GossipNodes
// random members (recently dead ones included, so that they can hear of it and refute).
public sealed partial class SwimNode
{
    private readonly byte[] _bodyBuffer;
    private readonly byte[] _sendBuffer = new byte[WireLimits.MaxDatagramBytes];
    private readonly List<SwimMessage> _outgoing = [];
    private ITimer? _gossipTimer;
    private bool _gossipRunning;

    /// <summary>Updates waiting to be sent.</summary>
    internal int QueuedUpdates
    {
        get
        {
            lock (_lock)
            {
                return _broadcasts.Count;
            }
        }
    }

    /// <summary>Forgets queued updates (a simulator starting from a converged cluster uses it).</summary>
    internal void ClearQueuedUpdates()
    {
        lock (_lock)
        {
            _broadcasts.Clear();
        }
    }

    private void Enqueue(string memberId, SwimMessage update)
    {
        _broadcasts.Enqueue(memberId, update);
        if (!_gossipRunning && _started && !_stopped)
        {
            _gossipRunning = true;
            _gossipTimer ??= _time.CreateTimer(static s => ((SwimNode)s!).OnGossipTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _gossipTimer.Change(_options.GossipInterval, _options.GossipInterval);
        }
    }

    private void OnGossipTick()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            GossipRound();
        }
    }

    private void GossipRound()
    {
        if (_broadcasts.Count == 0)
        {
            _gossipRunning = false;
            _gossipTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        DateTimeOffset deadSince = _time.GetUtcNow() - _options.GossipToTheDeadTime;
        List<MemberRecord> targets = PickRandom(_options.GossipNodes, m => m.IsLive || (m.State == MemberState.Dead && m.ChangedAt > deadSince));
        foreach (MemberRecord target in targets)
        {
            _outgoing.Clear();
            if (TakeBroadcasts(_bodyBuffer.Length) == 0)
            {
                break;
            }

            Send(target.Address);
        }
    }

    /// <summary>Sends <paramref name="primary"/> with as many queued updates as fit.</summary>
    private void SendWithGossip(IPEndPoint destination, SwimMessage primary)
    {
        _outgoing.Clear();
        _outgoing.Add(primary);
        int budget = _bodyBuffer.Length - WireLimits.CompoundHeaderBytes - WireLimits.CompoundPartOverhead - MessageWriter.SizeOf(primary);
        TakeBroadcasts(budget);
        Send(destination);
    }

    private int TakeBroadcasts(int budget)
    {
        int before = _outgoing.Count;
        int room = WireLimits.MaxCompoundParts - before;
        if (_outgoing.Count == 0)
        {
            budget -= WireLimits.CompoundHeaderBytes;
        }

        _broadcasts.Take(budget, WireLimits.CompoundPartOverhead, room, _options.RetransmitLimit(_liveCount), _outgoing);
        return _outgoing.Count - before;
    }

    private void Send(IPEndPoint destination)
    {
        int bodyLength = MessageWriter.WriteBody(_outgoing, _bodyBuffer);
        int length = _security.Seal(_bodyBuffer.AsSpan(0, bodyLength), _sendBuffer);
        Counters._datagramsSent++;
        Counters._bytesSent += length;
        try
        {
            _transport.Send(destination, _sendBuffer.AsSpan(0, length));
        }
        catch (Exception e)
        {
            // Best effort like UDP itself: a failed send is a lost datagram, which the protocol tolerates.
            Log.SendFailed(_logger, destination, e.Message);
        }
    }
}
