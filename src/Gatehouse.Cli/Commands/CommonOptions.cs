using System.CommandLine;
using System.Globalization;

namespace Gatehouse.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<string?> ConfigDir() => new("--config-dir")
    {
        Description = "Your identity, known_hosts and groups (default $GATEHOUSE_CONFIG_DIR, $XDG_CONFIG_HOME/gatehouse or ~/.config/gatehouse)",
    };

    public static Option<string?> StateDir() => new("--state-dir")
    {
        Description = "The gateway's identity and authorized_peers (default $GATEHOUSE_STATE_DIR, /var/lib/gatehouse as root, else ~/.local/state/gatehouse)",
    };

    public static Option<string?> Fingerprint() => new("--fingerprint")
    {
        Description = "Pin this gateway fingerprint for this call instead of known_hosts (SHA256:... or hex)",
    };

    public static Option<TimeSpan?> ConnectTimeout(double defaultSeconds) => CommandLine.OptionValues.Seconds(
        "--connect-timeout", ["-t"], "Seconds allowed for TCP connect, TLS handshake and HELLO", defaultSeconds, Transport.Connections.ConnectionOptions.MaxConnectTimeout.TotalSeconds);

    public static TimeSpan Seconds(double s) => TimeSpan.FromSeconds(s);

    public static string Format(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
