using System.Net;
using Gatehouse.Cluster.Security;
using Gatehouse.Cluster.Wire;

namespace Gatehouse.Cluster.Membership;

// One datagram in: authenticate and decrypt (drop and count anything else), decode the body (drop
// the whole datagram on any error), then handle each message with the authenticated sender.
public sealed partial class SwimNode
{
    private readonly byte[] _openBuffer = new byte[WireLimits.MaxDatagramBytes];
    private readonly List<SwimMessage> _received = [];

    /// <summary>
    /// Handles one received datagram. Transports call it (through <see cref="IDatagramTransport.SetReceiver"/>);
    /// tests may call it directly. Never throws for anything the datagram holds.
    /// </summary>
    public void Receive(IPEndPoint source, ReadOnlySpan<byte> datagram)
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            Counters._datagramsReceived++;
            Counters._bytesReceived += datagram.Length;
            OpenResult opened = _security.Open(datagram, _openBuffer, out string? sender, out int length);
            if (opened != OpenResult.Ok)
            {
                Log.DatagramDropped(_logger, source, opened);
                if (opened == OpenResult.UnknownKey && sender is not null)
                {
                    KeyMissing?.Invoke(sender);
                }

                return;
            }

            _received.Clear();
            DatagramError error = MessageReader.Read(_openBuffer.AsSpan(0, length), _received);
            if (error != DatagramError.None)
            {
                Counters._bodiesMalformed++;
                Log.BodyMalformed(_logger, sender!, error);
                return;
            }

            // Handlers may send (and so reuse buffers) but never receive: the list is stable here.
            foreach (SwimMessage m in _received)
            {
                Handle(sender!, source, m);
            }
        }
    }

    private void Handle(string sender, IPEndPoint source, SwimMessage message)
    {
        switch (message)
        {
            case PingMessage ping:
                if (ping.TargetId != _self.Id)
                {
                    Counters._wrongTargetPings++;
                    return;
                }

                SendWithGossip(source, new AckMessage(ping.Sequence));
                break;
            case IndirectPingMessage request:
                if (!_leaving)
                {
                    Relay(request, source);
                }

                break;
            case AckMessage ack:
                OnAck(ack.Sequence, sender);
                break;
            case NackMessage nack:
                OnNack(nack.Sequence, sender);
                break;
            case AliveMessage alive:
                if (alive.Metadata.Length <= _options.MaxMetadataSize)
                {
                    ApplyAlive(alive);
                }

                break;
            case SuspectMessage suspect:
                ApplySuspect(suspect);
                break;
            case DeadMessage dead:
                ApplyDead(dead);
                break;
            case LeaveMessage leave:
                ApplyLeave(leave);
                break;
        }
    }
}
