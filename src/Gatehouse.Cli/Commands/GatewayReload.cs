namespace Gatehouse.Cli.Commands;

/// <summary>
/// What a reload (SIGHUP) does with the configuration: reads every source again, applies what can
/// change live (<c>Logging:Level</c>) and names each other change, which needs a restart. A file
/// that no longer validates changes nothing.
/// </summary>
internal static class GatewayReload
{
    /// <summary>Re-reads the configuration; returns the lines to print (none when nothing changed).</summary>
    public static IReadOnlyList<string> Settings(string? configFile, IReadOnlyList<FlagValue> flags, GatewaySettings running, LogLevelSwitch level)
    {
        LoadedConfiguration next;
        try
        {
            next = GatewayConfiguration.Load(configFile, flags);
        }
        catch (GatewayConfigurationException ex)
        {
            return [.. ex.Errors.Select(e => $"gatehouse: configuration not reloaded, running configuration kept: {e}")];
        }

        var lines = new List<string>();
        foreach (var key in GatewayConfiguration.Changed(running with { LogLevel = level.Level }, next.Settings))
        {
            if (key.Live)
            {
                level.Level = next.Settings.LogLevel;
                lines.Add($"gatehouse: {key.Path} is now {key.Show(next.Settings)} ({next.SourceOf(key)})");
            }
            else
            {
                lines.Add($"gatehouse: {key.Path} changed to {key.Show(next.Settings)} ({next.SourceOf(key)}): needs a restart; still {key.Show(running)}");
            }
        }

        return lines;
    }
}
