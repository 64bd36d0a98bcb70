using Microsoft.Extensions.Logging;

namespace Gatehouse.Cluster.Etcd;

/// <summary>The etcd registry's log lines (event ids 4200–4219). Never logs the password, tokens or keys' values.</summary>
internal static partial class EtcdLog
{
    [LoggerMessage(4200, LogLevel.Information, "Cluster registry on etcd ({Endpoints}), keys under {Root}, lease TTL {Ttl}")]
    public static partial void Started(ILogger logger, string endpoints, string root, TimeSpan ttl);

    [LoggerMessage(4201, LogLevel.Warning, "Cluster registry: etcd cannot be used ({Reason}); serving from the last view of {Members} members and retrying every {Retry}")]
    public static partial void Down(ILogger logger, string reason, int members, TimeSpan retry);

    [LoggerMessage(4202, LogLevel.Information, "Cluster registry: etcd is reachable again (down for {Down}); caught up at revision {Revision}")]
    public static partial void Up(ILogger logger, TimeSpan down, long revision);

    [LoggerMessage(4203, LogLevel.Warning, "Cluster registry: this member's lease {Lease} had expired; granted a new one and wrote its keys again")]
    public static partial void LeaseRenewed(ILogger logger, long lease);

    [LoggerMessage(4204, LogLevel.Information, "Cluster registry: the watch's revision {Revision} was compacted (compaction at {Compacted}); read the whole view again")]
    public static partial void Compacted(ILogger logger, long revision, long compacted);

    [LoggerMessage(4205, LogLevel.Warning, "Cluster registry: ignoring key {Key}: {Problem}")]
    public static partial void BadKey(ILogger logger, string key, string problem);

    [LoggerMessage(4206, LogLevel.Information, "Cluster registry: member {Member} {What}")]
    public static partial void MemberChanged(ILogger logger, string member, string what);

    [LoggerMessage(4207, LogLevel.Information, "Cluster registry stopped; lease {Lease} {What}")]
    public static partial void Stopped(ILogger logger, long lease, string what);

    [LoggerMessage(4208, LogLevel.Debug, "Cluster registry: etcd endpoint {Endpoint} failed ({Reason}); trying the next")]
    public static partial void EndpointFailed(ILogger logger, string endpoint, string reason);
}
