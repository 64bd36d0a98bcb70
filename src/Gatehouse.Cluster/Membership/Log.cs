using Gatehouse.Cluster.Security;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Cluster.Membership;

/// <summary>Cluster membership log messages (event ids 4000-4099). Never logs keys or datagram contents.</summary>
internal static partial class Log
{
    [LoggerMessage(4000, LogLevel.Information, "Cluster member {Member} started at incarnation {Incarnation}")]
    public static partial void Started(ILogger logger, string member, uint incarnation);

    [LoggerMessage(4001, LogLevel.Information, "Cluster member {Member} stopped")]
    public static partial void Stopped(ILogger logger, string member);

    [LoggerMessage(4002, LogLevel.Information, "Cluster member {Member} is now {State} (incarnation {Incarnation}, {Address})")]
    public static partial void StateChanged(ILogger logger, string member, MemberState state, uint incarnation, System.Net.IPEndPoint address);

    [LoggerMessage(4003, LogLevel.Warning, "Refuting {What} of this member at incarnation {Accused}: now incarnation {Incarnation}")]
    public static partial void Refuting(ILogger logger, string what, uint accused, uint incarnation);

    [LoggerMessage(4004, LogLevel.Warning, "UDP probes of cluster member {Member} at {Address} fail but the TLS path answers: UDP seems blocked; keeping it alive over TLS (logged once)")]
    public static partial void UdpBlocked(ILogger logger, string member, System.Net.IPEndPoint address);

    [LoggerMessage(4005, LogLevel.Information, "UDP probes of cluster member {Member} answer again")]
    public static partial void UdpWorksAgain(ILogger logger, string member);

    [LoggerMessage(4006, LogLevel.Debug, "Dropped a datagram from {Source}: {Reason}")]
    public static partial void DatagramDropped(ILogger logger, System.Net.IPEndPoint source, OpenResult reason);

    [LoggerMessage(4007, LogLevel.Warning, "Authenticated datagram from member {Member} did not decode: {Error}")]
    public static partial void BodyMalformed(ILogger logger, string member, Wire.DatagramError error);

    [LoggerMessage(4008, LogLevel.Debug, "Full-state exchange with {Address} failed: {Message}")]
    public static partial void PushPullFailed(ILogger logger, System.Net.IPEndPoint address, string message);

    [LoggerMessage(4009, LogLevel.Warning, "Could not join through {Address}: {Message}")]
    public static partial void JoinFailed(ILogger logger, System.Net.IPEndPoint address, string message);

    [LoggerMessage(4015, LogLevel.Debug, "Could not join through {Address} (again): {Message}")]
    public static partial void JoinFailedAgain(ILogger logger, System.Net.IPEndPoint address, string message);

    [LoggerMessage(4010, LogLevel.Information, "Cluster member {Member} is leaving at incarnation {Incarnation}")]
    public static partial void Leaving(ILogger logger, string member, uint incarnation);

    [LoggerMessage(4011, LogLevel.Warning, "Member table full ({Max}): not adding {Member}")]
    public static partial void TableFull(ILogger logger, int max, string member);

    [LoggerMessage(4012, LogLevel.Debug, "Sending to {Address} failed: {Message}")]
    public static partial void SendFailed(ILogger logger, System.Net.IPEndPoint address, string message);
}
