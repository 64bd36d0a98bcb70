namespace Gatehouse.Transport.Security;

/// <summary>
/// The client's pinned gateways, one per line: <c>host:port SHA256:...</c>; <c>#</c> starts a
/// comment. Like SSH's known_hosts, an entry is added by an explicit trust step, and a gateway that
/// presents another fingerprint is refused.
/// </summary>
public sealed class KnownHosts
{
    private readonly string _path;

    public KnownHosts(string path) => _path = path;

    /// <summary>The file's path.</summary>
    public string Path => _path;

    /// <summary>Returns the pinned fingerprint for <paramref name="hostPort"/>, if any.</summary>
    public Fingerprint? Find(string hostPort)
    {
        foreach (var (host, fp) in Read())
        {
            if (string.Equals(host, hostPort, StringComparison.OrdinalIgnoreCase))
            {
                return fp;
            }
        }

        return null;
    }

    /// <summary>All entries in file order. Malformed lines raise <see cref="FormatException"/> naming the line.</summary>
    public IEnumerable<(string HostPort, Fingerprint Fingerprint)> Read()
    {
        if (!File.Exists(_path))
        {
            yield break;
        }

        foreach (var entry in Parse(File.ReadLines(_path), _path))
        {
            yield return entry;
        }
    }

    /// <summary>
    /// Parses the lines of a known_hosts file (no I/O): <c>host:port SHA256:...</c> per line, blank
    /// lines and <c>#</c> comments skipped. Lazy, like <see cref="Read"/>: a bad line raises when it is reached.
    /// </summary>
    /// <param name="lines">The file's lines.</param>
    /// <param name="fileName">Named in error messages.</param>
    /// <exception cref="FormatException">
    /// A line is not <c>host:port FINGERPRINT</c> (port 1..65535), is not UTF-8 text, or pins a host
    /// already pinned on an earlier line (which pin applied would be left to file order); the message
    /// names the file and line.
    /// </exception>
    public static IEnumerable<(string HostPort, Fingerprint Fingerprint)> Parse(IEnumerable<string> lines, string fileName)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        int lineNo = 0;
        foreach (string raw in lines)
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !Fingerprint.TryParse(parts[1], out var fp))
            {
                throw new FormatException($"{fileName}:{lineNo}: expected 'host:port SHA256:...'");
            }

            if (line.Contains('\uFFFD', StringComparison.Ordinal))
            {
                throw new FormatException($"{fileName}:{lineNo}: not valid UTF-8 text");
            }

            if (!IsHostPort(parts[0]))
            {
                string shown = parts[0].Length > 80 ? parts[0][..80] + "..." : parts[0];
                throw new FormatException($"{fileName}:{lineNo}: '{shown}' is not host:port (port 1..65535)");
            }

            if (!seen.TryAdd(parts[0], lineNo))
            {
                throw new FormatException($"{fileName}:{lineNo}: {parts[0]} is already pinned on line {seen[parts[0]]}");
            }

            yield return (parts[0], fp);
        }
    }

    /// <summary>True for <c>host:port</c> or <c>[v6]:port</c> with an explicit port 1..65535 and a host of at most 255 characters.</summary>
    private static bool IsHostPort(string text)
    {
        try
        {
            var endpoint = Connections.Endpoint.Parse(text, defaultPort: 0);
            return endpoint.Port is > 0 and < 65536 && endpoint.Host.Length is > 0 and <= 255;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Records (or replaces) the pin for <paramref name="hostPort"/>.</summary>
    public void Set(string hostPort, Fingerprint fingerprint)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path))!);
        // Locked, unique temporary file, fsync, rename (two `gatehouse trust` runs at once both land).
        using var held = StateFile.Lock(_path);
        var lines = File.Exists(_path) ? File.ReadAllLines(_path).ToList() : [];
        lines.RemoveAll(l =>
        {
            var parts = l.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return parts.Length >= 1 && string.Equals(parts[0], hostPort, StringComparison.OrdinalIgnoreCase);
        });
        lines.Add($"{hostPort} {fingerprint}");
        StateFile.Replace(_path, lines, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }
}
