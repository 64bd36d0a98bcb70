using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway;

/// <summary>Gateway log messages (event ids 2000-2099). Never logs arguments, stdin or keys.</summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Information, "Gateway listening on {Addresses}; fingerprint {Fingerprint}")]
    public static partial void Listening(ILogger logger, string addresses, string fingerprint);

    [LoggerMessage(2001, LogLevel.Information, "Peer {Peer} connected as {Name} ({Roles})")]
    public static partial void PeerConnected(ILogger logger, string peer, string name, string roles);

    [LoggerMessage(2003, LogLevel.Information, "Peer {Peer} disconnected: {Reason}")]
    public static partial void PeerDisconnected(ILogger logger, string peer, string reason);

    [LoggerMessage(2004, LogLevel.Information, "Service {Peer} registered {Domain}/{Command} (concurrency {Concurrency})")]
    public static partial void ServiceRegistered(ILogger logger, string peer, string domain, string command, int concurrency);

    [LoggerMessage(2005, LogLevel.Debug, "{Peer} {Domain}/{Command}: {Status}")]
    public static partial void RequestDone(ILogger logger, string peer, string domain, string command, string status);

    [LoggerMessage(2006, LogLevel.Error, "{Peer} {Domain}/{Command} failed inside the gateway")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string peer, string domain, string command);

    [LoggerMessage(2007, LogLevel.Information, "Configuration reloaded ({Errors} errors)")]
    public static partial void Reloaded(ILogger logger, int errors);

    [LoggerMessage(2009, LogLevel.Information, "Draining {Count} connections")]
    public static partial void Draining(ILogger logger, int count);

    [LoggerMessage(2010, LogLevel.Warning, "Peer {Peer}: authorization revoked or changed; sent GOAWAY")]
    public static partial void PeerRevoked(ILogger logger, string peer);

    [LoggerMessage(2050, LogLevel.Warning, "Refused {Remote}: {Cause}: {Detail} (further refusals for this cause are counted and summarised once a minute)")]
    public static partial void ConnectionRefused(ILogger logger, string remote, string cause, string detail);

    [LoggerMessage(2051, LogLevel.Warning, "Refused connections in the last {Seconds} s: {Summary}")]
    public static partial void RefusalSummary(ILogger logger, double seconds, string summary);

    [LoggerMessage(2052, LogLevel.Error, "Connection from {Remote} failed in the gateway")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception, string remote);

    [LoggerMessage(2011, LogLevel.Error, "{Error}; the grants loaded before stay in force")]
    public static partial void AuthorizedFileFailed(ILogger logger, string error);

    [LoggerMessage(2012, LogLevel.Information, "{Path} read again without error ({Count} peers)")]
    public static partial void AuthorizedFileRecovered(ILogger logger, string path, int count);

    [LoggerMessage(2013, LogLevel.Error, "The once-a-second authorization sweep failed; it runs again in a second")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(2014, LogLevel.Warning, "Unsafe state directory: {Problem}")]
    public static partial void UnsafeStateDirectory(ILogger logger, string problem);

    [LoggerMessage(2015, LogLevel.Error, "Reloading {What} failed")]
    public static partial void ReloadFailed(ILogger logger, Exception exception, string what);

    [LoggerMessage(2016, LogLevel.Warning, "The locator of domain {Domain} could not place a request (routed as usual; said at most once a minute per domain): {Reason}")]
    public static partial void LocatorFailed(ILogger logger, string domain, string reason);

    [LoggerMessage(2017, LogLevel.Error, "Recording the metrics or audit record of a request from {Caller} failed")]
    public static partial void RecordFailed(ILogger logger, Exception exception, string caller);

    [LoggerMessage(2053, LogLevel.Warning, "Cannot save {Path}: {Reason} (gatehouse peers shows older last-seen times)")]
    public static partial void LastSeenNotSaved(ILogger logger, string path, string reason);

    [LoggerMessage(2054, LogLevel.Warning, "Key rotation: announcing the next key {Next} (the current key is {Current}); it takes over at {CommitAt:u}")]
    public static partial void RotationAnnounced(ILogger logger, string current, string next, DateTimeOffset commitAt);

    [LoggerMessage(2055, LogLevel.Warning, "Key rotation: now presenting {Next} to new connections (was {Current}); connections already open keep going")]
    public static partial void RotationCommitted(ILogger logger, string current, string next);

    [LoggerMessage(2056, LogLevel.Error, "Key rotation: {Reason}")]
    public static partial void RotationFailed(ILogger logger, string reason);

    [LoggerMessage(2057, LogLevel.Warning, "{Peer} rotated its key: its grant {Name} moved from {Old} to {New}")]
    public static partial void PeerRotated(ILogger logger, string peer, string name, string old, string @new);
}
