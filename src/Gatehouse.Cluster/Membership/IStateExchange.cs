using System.Net;

namespace Gatehouse.Cluster.Membership;

/// <summary>
/// The reliable path between members, implemented by the integration layer over the members' mutual
/// TLS connections: the periodic full-state push-pull (also used to join) and the fallback probe when
/// UDP seems blocked. The receiving side answers with <see cref="SwimNode.TryBeginIncomingExchange"/>,
/// <see cref="SwimNode.LocalState"/> and <see cref="SwimNode.MergeRemoteState"/>.
/// </summary>
public interface IStateExchange
{
    /// <summary>Sends this member's full state to the member at <paramref name="address"/> and returns its full state.</summary>
    /// <exception cref="Exception">Any failure (unreachable, refused, timed out); the node counts it and carries on.</exception>
    Task<IReadOnlyList<MemberSnapshot>> ExchangeAsync(IPEndPoint address, IReadOnlyList<MemberSnapshot> mine, CancellationToken cancellationToken);

    /// <summary>Probes the member at <paramref name="address"/> over the reliable path; true when it answered.</summary>
    Task<bool> PingAsync(IPEndPoint address, string memberId, CancellationToken cancellationToken);
}
