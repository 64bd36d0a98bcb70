using System.Globalization;
using Gatehouse.Protocol;

namespace Gatehouse.Samples.Locator;

/// <summary>
/// The locator's map file: <c>KEY MEMBER [TTL]</c> per line, <c>*</c> for every other key, <c>#</c>
/// comments. Read again when its modification time or size changes; a bad file keeps the map held.
/// </summary>
internal sealed class LocatorMap(string path, TimeSpan? defaultTtl)
{
    private Dictionary<string, LocatorAnswer> _entries = new(StringComparer.Ordinal);
    private LocatorAnswer? _rest;
    private (DateTime Modified, long Length) _stamp;

    public int Count => Volatile.Read(ref _entries).Count;

    /// <summary>The answer for <paramref name="key"/>: its line, else the <c>*</c> line, else "not known".</summary>
    public LocatorAnswer Locate(string key) =>
        Volatile.Read(ref _entries).TryGetValue(key, out var answer) ? answer : _rest ?? new LocatorAnswer(null, defaultTtl);

    /// <summary>Reads the file again if it changed; null, or why the new file was not taken.</summary>
    public string? ReloadIfChanged()
    {
        var info = new FileInfo(path);
        return info.Exists && (info.LastWriteTimeUtc, info.Length) == _stamp ? null : Reload();
    }

    /// <summary>Reads the file; null, or why it was not taken (the map held stays).</summary>
    public string? Reload()
    {
        var info = new FileInfo(path);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot read {path}: {ex.Message}";
        }

        var entries = new Dictionary<string, LocatorAnswer>(StringComparer.Ordinal);
        LocatorAnswer? rest = null;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length is < 2 or > 3)
            {
                return $"{path}:{i + 1}: expected KEY MEMBER [TTL]";
            }

            TimeSpan? ttl = defaultTtl;
            if (words.Length == 3)
            {
                if (!int.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) || seconds > LocatorAnswer.MaxTtl.TotalSeconds)
                {
                    return $"{path}:{i + 1}: the TTL '{words[2]}' is not whole seconds from 0 to {LocatorAnswer.MaxTtl.TotalSeconds:0}";
                }

                ttl = TimeSpan.FromSeconds(seconds);
            }

            var answer = new LocatorAnswer(words[1] == LocatorAnswer.Unknown ? null : words[1], ttl);
            if (words[0] == "*")
            {
                rest = answer;
            }
            else if (!entries.TryAdd(words[0], answer))
            {
                return $"{path}:{i + 1}: key '{words[0]}' is already mapped";
            }
        }

        _rest = rest;
        Volatile.Write(ref _entries, entries);
        _stamp = (info.LastWriteTimeUtc, info.Length);
        return null;
    }
}
