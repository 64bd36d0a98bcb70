using Gatehouse.Transport.Security;

namespace Gatehouse.Cli;

/// <summary>
/// Where the command keeps a user's things: <c>$GATEHOUSE_CONFIG_DIR</c>, else
/// <c>$XDG_CONFIG_HOME/gatehouse</c>, else <c>~/.config/gatehouse</c>. It holds the user's identity
/// (<c>identity.key</c>, <c>identity.crt</c>), <c>known_hosts</c> and the node <c>groups</c> file.
/// </summary>
internal static class CliPaths
{
    public static string ConfigDirectory(string? overrideDir = null)
    {
        if (!string.IsNullOrEmpty(overrideDir))
        {
            return overrideDir;
        }

        string? env = Environment.GetEnvironmentVariable("GATEHOUSE_CONFIG_DIR");
        if (!string.IsNullOrEmpty(env))
        {
            return env;
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".config") : xdg, "gatehouse");
    }

    public static string KnownHostsPath(string? configDir) => Path.Combine(ConfigDirectory(configDir), "known_hosts");

    public static string GroupsPath(string? configDir) => Path.Combine(ConfigDirectory(configDir), "groups");

    /// <summary>The user's identity, made on first use (a note goes to stderr when it is made).</summary>
    /// <exception cref="CommandLine.CliException">The identity cannot be used (a key readable by others, unreadable files), exit 78.</exception>
    public static PeerIdentity LoadIdentity(string? configDir)
    {
        string dir = ConfigDirectory(configDir);
        PeerIdentity identity;
        bool created;
        try
        {
            identity = PeerIdentity.LoadOrCreate(dir, "gatehouse-user " + Environment.UserName + "@" + Environment.MachineName, out created);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or FormatException)
        {
            throw new CommandLine.CliException($"your identity in {dir} cannot be used: {ex.Message}", ExitCodes.LocalConfig, ex);
        }

        if (created)
        {
            Console.Error.WriteLine($"gatehouse: created your identity in {dir}; fingerprint {identity.Fingerprint}");
        }

        return identity;
    }
}
