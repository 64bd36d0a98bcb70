using Microsoft.Extensions.Logging;

namespace Gatehouse.WebConsole;

/// <summary>The console's log messages. Event ids 6000–6099. Tokens and session ids are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(6000, LogLevel.Information, "Console listening on {Url}; acting as {Fingerprint}")]
    public static partial void Listening(ILogger logger, string url, string fingerprint);

    [LoggerMessage(6001, LogLevel.Warning, "Login refused from {Remote}: the token is wrong or was already used")]
    public static partial void LoginRefused(ILogger logger, string? remote);

    [LoggerMessage(6002, LogLevel.Information, "Session opened from {Remote}; the login token is now spent")]
    public static partial void SessionOpened(ILogger logger, string? remote);

    [LoggerMessage(6003, LogLevel.Warning, "Refused {Method} {Path}: not same-origin (Origin {Origin}, Sec-Fetch-Site {FetchSite}, console header {HasHeader})")]
    public static partial void CrossSiteRefused(ILogger logger, string method, string path, string? origin, string? fetchSite, bool hasHeader);

    [LoggerMessage(6004, LogLevel.Information, "Run {Id}: {Domain}/{Command} on {Nodes} ({Count} nodes)")]
    public static partial void RunStarted(ILogger logger, string id, string domain, string command, string nodes, int count);

    [LoggerMessage(6005, LogLevel.Information, "Run {Id}: cancel asked")]
    public static partial void RunCancelled(ILogger logger, string id);

    [LoggerMessage(6006, LogLevel.Warning, "The console listens on {Address}, not loopback: pages, the login token and the session cookie travel as plain HTTP")]
    public static partial void NotLoopback(ILogger logger, string address);
}
