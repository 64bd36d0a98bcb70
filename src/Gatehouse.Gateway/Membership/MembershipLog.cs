using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Membership;

/// <summary>The gateway's membership log lines (ids 2100–2119).</summary>
internal static partial class MembershipLog
{
    [LoggerMessage(2100, LogLevel.Information, "Joined the cluster through {Seeds} member(s); {Live} live members known")]
    public static partial void Joined(ILogger logger, int seeds, int live);

    [LoggerMessage(2101, LogLevel.Warning, "Joining through {Targets} failed: {Reason}")]
    public static partial void JoinFailed(ILogger logger, string targets, string reason);

    [LoggerMessage(2102, LogLevel.Warning, "Member {Member} is no longer authorized in the gateway role: its datagrams are dropped from now on")]
    public static partial void Revoked(ILogger logger, string member);

    [LoggerMessage(2103, LogLevel.Information, "Exchanging keys with member {Member} at {Address} failed (retried; said again only after an exchange with it worked): {Reason}")]
    public static partial void KeyExchangeFailed(ILogger logger, string member, string address, string reason);

    [LoggerMessage(2104, LogLevel.Information, "Cluster membership on {Address} (UDP and TCP), member id {Member}")]
    public static partial void Started(ILogger logger, string address, string member);

    [LoggerMessage(2105, LogLevel.Warning, "No cluster membership: UDP port {Addresses} is taken ({Reason}); this gateway serves but cannot join or be joined (listen on a fixed port for a cluster)")]
    public static partial void UdpUnavailable(ILogger logger, string addresses, string reason);

    [LoggerMessage(2106, LogLevel.Warning, "Cluster grants: {Problem}")]
    public static partial void GrantsProblem(ILogger logger, string problem);

    [LoggerMessage(2107, LogLevel.Information, "Pulling the route list of member {Member} at {Address} failed (retried every second; said again only after a pull from it worked): {Reason}")]
    public static partial void RoutePullFailed(ILogger logger, string member, string address, string reason);

    [LoggerMessage(2108, LogLevel.Warning, "Not holding the {Count} routes of member {Member}: more than {Max} routes of other members in all (requests for them are not sent there; said once)")]
    public static partial void RoutesTooMany(ILogger logger, string member, int count, int max);

    [LoggerMessage(2109, LogLevel.Information, "Rotated this member's datagram key to key {KeyId}: handed to {Handed} of {Members} members (the others get it as soon as an exchange with them works)")]
    public static partial void KeyRotated(ILogger logger, uint keyId, int handed, int members);

    [LoggerMessage(2110, LogLevel.Information, "Cluster registry: etcd at {Endpoints}, keys under {Root} (gossip and UDP off); this member is {Address}, id {Member}")]
    public static partial void RegistryStarted(ILogger logger, string endpoints, string root, string address, string member);

    [LoggerMessage(2111, LogLevel.Warning, "Member {Member} in the registry is left out: {Reason} (said once)")]
    public static partial void RegistryMemberUnusable(ILogger logger, string member, string reason);

    [LoggerMessage(2112, LogLevel.Information, "Wrote {Count} grant edit(s) of authorized_peers to the {Registry} registry")]
    public static partial void RegistryGrantsWritten(ILogger logger, int count, string registry);
}
