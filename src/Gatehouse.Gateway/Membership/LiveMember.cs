using System.Net;
using Gatehouse.Cluster.Membership;

namespace Gatehouse.Gateway.Membership;

/// <summary>Another member as forwarding sees it: where it is, alive or suspect, and its gossiped requests in flight.</summary>
internal sealed record LiveMember(string Id, IPEndPoint Address, MemberState State, long Load);
