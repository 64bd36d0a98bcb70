using System.Text;
using Gatehouse.Gateway;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace Gatehouse.Cli.Commands;

/// <summary>A value given on the command line: the key it sets, the value and the flag that gave it (for messages).</summary>
internal sealed record FlagValue(string Key, string Value, string Flag);

/// <summary>One or more bad settings, each message naming where the value came from (<c>FILE:KEY</c>, an environment variable or a flag).</summary>
internal sealed class GatewayConfigurationException(IReadOnlyList<string> errors) : Exception(string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>The effective settings and, for each key not at its default, where its value came from.</summary>
internal sealed record LoadedConfiguration(GatewaySettings Settings, IReadOnlyDictionary<string, string> Sources)
{
    /// <summary>Where <paramref name="key"/>'s value came from, or <c>default</c>.</summary>
    public string SourceOf(SettingKey key) => Sources.GetValueOrDefault(key.Path) ?? "default";
}

/// <summary>
/// Builds <c>gatehouse gateway</c>'s settings from, lowest precedence first, the defaults, the JSON
/// configuration file (<c>--config</c>; comments and trailing commas allowed), environment variables
/// <c>GATEHOUSE__KEY__SUBKEY</c> and the command-line flags (docs/operations.md, "Configure").
/// Microsoft.Extensions.Configuration reads the sources; this class resolves each documented key
/// (<see cref="GatewaySettingKeys"/>) from the highest source that has it, so a list given by a
/// flag replaces the file's list instead of merging with it item by item, refuses unknown keys, and
/// names the source of every bad value.
/// </summary>
internal static class GatewayConfiguration
{
    /// <summary>The exit status for a bad configuration (sysexits EX_CONFIG).</summary>
    public const int ExitConfig = 78;

    public const string EnvironmentPrefix = "GATEHOUSE__";

    /// <summary>Reads every source and returns the validated settings; throws <see cref="GatewayConfigurationException"/>.</summary>
    public static LoadedConfiguration Load(string? configFile, IReadOnlyList<FlagValue> flags)
    {
        var errors = new List<string>();
        var builder = new ConfigurationBuilder();
        string? fullFile = configFile is null ? null : Path.GetFullPath(configFile);
        if (fullFile is not null)
        {
            if (!File.Exists(fullFile))
            {
                throw new GatewayConfigurationException([$"{configFile}: no such file"]);
            }

            builder.AddJsonFile(fullFile, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix);
        var flagNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var flagData = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in flags)
        {
            flagData[f.Key] = f.Value;
            flagNames[f.Key] = f.Flag;
        }

        builder.AddInMemoryCollection(flagData);
        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (InvalidDataException ex)
        {
            // The JSON parser's message carries the line and position.
            throw new GatewayConfigurationException([$"{configFile}: {Clean(Innermost(ex).Message)}"]);
        }
        catch (FormatException ex)
        {
            throw new GatewayConfigurationException([$"{configFile}: {Clean(ex.Message)}"]);
        }
        catch (IOException ex)
        {
            throw new GatewayConfigurationException([$"{configFile}: {ex.Message}"]);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new GatewayConfigurationException([$"{configFile}: {ex.Message}"]);
        }

        string baseDirectory = Directory.GetCurrentDirectory();
        var environmentNames = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(n => n.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            .ToDictionary(n => n[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal), n => n, StringComparer.OrdinalIgnoreCase);
        var sources = root.Providers.Select(p => new Source(p, p switch
        {
            JsonConfigurationProvider => (string key) => $"{configFile}:{key}",
            EnvironmentVariablesConfigurationProvider => key => environmentNames.GetValueOrDefault(key) ?? EnvironmentPrefix + key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant(),
            _ => key => flagNames.GetValueOrDefault(key)
                ?? flagNames.FirstOrDefault(f => f.Key.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase)).Value
                ?? $"--set {key}",
        }, p is JsonConfigurationProvider && fullFile is not null ? Path.GetDirectoryName(fullFile)! : baseDirectory)).ToList();

        foreach (var source in sources)
        {
            foreach (string leaf in Leaves(source.Provider, null))
            {
                if (!IsKnown(leaf))
                {
                    errors.Add($"{source.Name(leaf)}: unknown setting (docs/operations.md lists every key)");
                }
            }
        }

        var settings = new GatewaySettings();
        var given = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var applied = new List<(SettingKey Key, SettingInput Input, string Source)>();
        foreach (var key in GatewaySettingKeys.All)
        {
            if (Resolve(key, sources) is not { } found)
            {
                continue;
            }

            var (input, source) = found;

            given[key.Path] = source;
            try
            {
                settings = key.Apply(settings, input);
                applied.Add((key, input, source));
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                errors.Add($"{source}: {Clean(ex.Message)}");
            }
        }

        if (errors.Count == 0)
        {
            try
            {
                settings.Gateway.Validate();
            }
            catch (ArgumentException ex)
            {
                errors.Add(Blame(ex, applied));
            }
        }

        if (errors.Count > 0)
        {
            throw new GatewayConfigurationException(errors);
        }

        return new LoadedConfiguration(settings, given);
    }

    /// <summary>Every key with its effective value and where the value came from, one per line.</summary>
    public static string Describe(LoadedConfiguration loaded)
    {
        int width = GatewaySettingKeys.All.Max(k => k.Path.Length) + 2;
        var text = new StringBuilder();
        foreach (var key in GatewaySettingKeys.All)
        {
            text.Append(key.Path.PadRight(width)).Append(key.Show(loaded.Settings)).Append("  (").Append(loaded.SourceOf(key)).Append(")\n");
        }

        return text.ToString();
    }

    /// <summary>The keys whose effective values differ between <paramref name="running"/> and <paramref name="next"/>.</summary>
    public static IReadOnlyList<SettingKey> Changed(GatewaySettings running, GatewaySettings next) =>
        [.. GatewaySettingKeys.All.Where(k => k.Show(running) != k.Show(next))];

    /// <summary>The message for a bad value: <c>SOURCE: what is wrong</c>, or every source involved when no single value is wrong by itself.</summary>
    private static string Blame(ArgumentException ex, List<(SettingKey Key, SettingInput Input, string Source)> applied)
    {
        // The key the check names (ProbeTimeout, Links.ConnectTimeout), with the message about the values as given.
        string? param = ex.ParamName?.Replace('.', ':');
        var named = param is null ? [] : applied.Where(a => a.Key.Path.Equals(param, StringComparison.OrdinalIgnoreCase) || a.Key.Path.EndsWith(":" + param, StringComparison.OrdinalIgnoreCase)).ToList();
        if (named.Count > 0)
        {
            return $"{string.Join(", ", named.Select(a => a.Source))}: {Clean(ex.Message)}";
        }

        // Else the first value that is wrong by itself.
        foreach (var (key, input, source) in applied)
        {
            try
            {
                key.Apply(new GatewaySettings(), input).Gateway.Validate();
            }
            catch (ArgumentException alone)
            {
                return $"{source}: {Clean(alone.Message)}";
            }
        }

        return $"{string.Join(", ", applied.Select(a => a.Source))}: {Clean(ex.Message)}";
    }

    private static Exception Innermost(Exception ex) => ex.InnerException is { } inner ? Innermost(inner) : ex;

    /// <summary>A one-line message: without the parameter suffix and "Actual value was" line .NET adds.</summary>
    private static string Clean(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("Actual value was", StringComparison.Ordinal));
        string one = string.Join("; ", lines);
        int p = one.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return p >= 0 ? one[..p] : one;
    }

    private sealed record Source(IConfigurationProvider Provider, Func<string, string> Name, string BaseDirectory);

    /// <summary>The value of <paramref name="key"/> from the highest source that has it (for a map, every source's names, higher ones winning).</summary>
    private static (SettingInput Input, string Source)? Resolve(SettingKey key, List<Source> sources)
    {
        switch (key.Shape)
        {
            case SettingShape.Map:
            {
                var map = new Dictionary<string, string>(StringComparer.Ordinal);
                var from = new List<string>();
                foreach (var s in sources)
                {
                    foreach (string name in Children(s.Provider, key.Path))
                    {
                        s.Provider.TryGet(key.Path + ":" + name, out string? v);
                        map[name] = v ?? string.Empty;
                        from.Add(s.Name(key.Path + ":" + name));
                    }
                }

                return map.Count == 0 ? null : (new SettingInput(string.Empty, [], map, Directory.GetCurrentDirectory()), string.Join(", ", from.Distinct()));
            }

            case SettingShape.List:
                for (int i = sources.Count - 1; i >= 0; i--)
                {
                    var s = sources[i];
                    var children = Children(s.Provider, key.Path).ToList();
                    if (children.Count > 0)
                    {
                        var items = children.OrderBy(c => int.TryParse(c, out int n) ? n : int.MaxValue).Select(c => s.Provider.TryGet(key.Path + ":" + c, out string? v) ? v ?? string.Empty : string.Empty);
                        return (new SettingInput(string.Empty, [.. items.Where(v => v.Length > 0)], new Dictionary<string, string>(), s.BaseDirectory), s.Name(key.Path));
                    }

                    if (s.Provider.TryGet(key.Path, out string? scalar))
                    {
                        var items = (scalar ?? string.Empty).Split([',', ' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                        return (new SettingInput(scalar ?? string.Empty, items, new Dictionary<string, string>(), s.BaseDirectory), s.Name(key.Path));
                    }
                }

                return null;

            default:
                for (int i = sources.Count - 1; i >= 0; i--)
                {
                    var s = sources[i];
                    if (s.Provider.TryGet(key.Path, out string? value))
                    {
                        return (new SettingInput(value ?? string.Empty, [], new Dictionary<string, string>(), s.BaseDirectory), s.Name(key.Path));
                    }
                }

                return null;
        }
    }

    private static IEnumerable<string> Children(IConfigurationProvider provider, string? parent) =>
        provider.GetChildKeys([], parent).Distinct(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every key with a value in <paramref name="provider"/> (JSON objects and arrays walked down to their values).</summary>
    private static IEnumerable<string> Leaves(IConfigurationProvider provider, string? parent)
    {
        foreach (string child in Children(provider, parent))
        {
            string full = parent is null ? child : parent + ":" + child;
            if (Children(provider, full).Any())
            {
                foreach (string leaf in Leaves(provider, full))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return full;
            }
        }
    }

    private static bool IsKnown(string leaf)
    {
        if (leaf.StartsWith('$'))
        {
            return true; // "$schema" and other annotations
        }

        if (GatewaySettingKeys.Find(leaf) is not null
            || GatewaySettingKeys.All.Any(k => k.Path.StartsWith(leaf + ":", StringComparison.OrdinalIgnoreCase)))
        {
            return true; // a key, or an empty section ("Limits": {})
        }

        int colon = leaf.LastIndexOf(':');
        return colon > 0 && GatewaySettingKeys.Find(leaf[..colon]) is { } parent
            && (parent.Shape == SettingShape.Map || (parent.Shape == SettingShape.List && int.TryParse(leaf[(colon + 1)..], out _)));
    }
}
