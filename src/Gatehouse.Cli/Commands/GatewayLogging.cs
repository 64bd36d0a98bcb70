using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Gatehouse.Cli.Commands;

/// <summary>The minimum log level, changeable while the gateway runs (a reload applies <c>Logging:Level</c> live).</summary>
internal sealed class LogLevelSwitch(LogLevel level)
{
    private int _level = (int)level;

    public LogLevel Level
    {
        get => (LogLevel)Volatile.Read(ref _level);
        set => Volatile.Write(ref _level, (int)value);
    }
}

/// <summary>
/// The gateway's console logging (docs/operations.md, "Logs"): every line carries an ISO 8601
/// timestamp with the UTC offset; <c>text</c> is one line per event, <c>json</c> one JSON object per
/// line (the JSON console formatter), <c>systemd</c> prefixes journald's priority.
/// </summary>
internal static class GatewayLogging
{
    /// <summary>ISO 8601 with milliseconds and the offset, e.g. <c>2026-12-02T01:02:03.456+00:00</c>.</summary>
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffzzz";

    public static void Configure(ILoggingBuilder logging, LogFormat format, LogLevelSwitch level)
    {
        switch (format)
        {
            case LogFormat.Json:
                logging.AddJsonConsole(o =>
                {
                    o.TimestampFormat = TimestampFormat;
                    o.IncludeScopes = false;
                });
                break;
            case LogFormat.Systemd:
                logging.AddSystemdConsole(o => o.TimestampFormat = TimestampFormat + " ");
                break;
            default:
                logging.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = TimestampFormat + " ";
                    o.ColorBehavior = LoggerColorBehavior.Disabled;
                });
                break;
        }

        // Everything passes the builder's minimum; the switch decides, so a reload can change it.
        logging.SetMinimumLevel(LogLevel.Trace);
        logging.AddFilter((_, _, l) => l >= level.Level);
    }
}
