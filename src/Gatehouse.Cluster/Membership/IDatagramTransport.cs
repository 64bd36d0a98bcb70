using System.Net;

namespace Gatehouse.Cluster.Membership;

/// <summary>Called by a transport for every datagram it receives. The span is valid only during the call.</summary>
public delegate void DatagramHandler(IPEndPoint source, ReadOnlySpan<byte> datagram);

/// <summary>
/// Where membership datagrams go: real UDP or a simulated
/// network. Best effort, like UDP: a send may be lost; nothing is retried.
/// </summary>
public interface IDatagramTransport
{
    /// <summary>
    /// Sends one datagram. Must not block and must not call back into the node on this thread; the span
    /// is valid only during the call (copy it to keep it). Failures are swallowed (counted by the transport).
    /// </summary>
    void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram);

    /// <summary>Sets who receives datagrams from now on (the node calls it once when it starts; null detaches).</summary>
    void SetReceiver(DatagramHandler? handler);
}
