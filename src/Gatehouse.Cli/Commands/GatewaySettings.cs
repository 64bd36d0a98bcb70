using Gatehouse.Gateway;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Cli.Commands;

/// <summary>How console log lines are written (docs/operations.md, "Logs").</summary>
internal enum LogFormat
{
    /// <summary>One line per event: ISO 8601 timestamp with offset, level, category, message.</summary>
    Text,

    /// <summary>One JSON object per line (Microsoft.Extensions.Logging's JSON console formatter).</summary>
    Json,

    /// <summary>journald's form: a <c>&lt;N&gt;</c> syslog priority prefix, no colours (systemd adds the time).</summary>
    Systemd,
}

/// <summary>Everything <c>gatehouse gateway</c> is configured with: the gateway's options and the process's logging.</summary>
internal sealed record GatewaySettings
{
    public GatewayOptions Gateway { get; init; } = new();

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    public LogFormat LogFormat { get; init; } = LogFormat.Text;
}
