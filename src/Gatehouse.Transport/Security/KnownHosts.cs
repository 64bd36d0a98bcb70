namespace Gatehouse.Transport.Security;

/// <summary>One known_hosts line: the pinned fingerprint and, during a key rotation, the successor the gateway announced (signed).</summary>
public readonly record struct KnownHostEntry(string HostPort, Fingerprint Fingerprint, Fingerprint? Next);

/// <summary>
/// The client's pinned gateways, one per line: <c>host:port SHA256:... [next=SHA256:...]</c>; <c>#</c>
/// starts a comment. Like SSH's known_hosts, an entry is added by an explicit trust step, and a
/// gateway that presents another fingerprint is refused, unless it is the <c>next=</c> fingerprint
/// the gateway itself announced, signed by the pinned key, before it rotated (docs/security.md).
/// </summary>
/// <remarks>
/// Every read parses the whole file: a bad line anywhere is an error naming <c>file:line</c>
/// (<see cref="FormatException"/>), never skipped, and an edit refuses to touch a file it cannot parse.
/// </remarks>
public sealed class KnownHosts : IPinRollover
{
    private readonly string _path;

    public KnownHosts(string path) => _path = path;

    /// <summary>The file's path.</summary>
    public string Path => _path;

    /// <summary>Returns the pinned fingerprint for <paramref name="hostPort"/>, if any.</summary>
    /// <exception cref="FormatException">The file has a bad line (the message names it).</exception>
    public Fingerprint? Find(string hostPort) => FindEntry(hostPort)?.Fingerprint;

    /// <summary>Returns the whole entry for <paramref name="hostPort"/>, if any.</summary>
    /// <exception cref="FormatException">The file has a bad line (the message names it).</exception>
    public KnownHostEntry? FindEntry(string hostPort)
    {
        foreach (var entry in ReadEntries())
        {
            if (string.Equals(entry.HostPort, hostPort, StringComparison.OrdinalIgnoreCase))
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>All pins in file order (the whole file is parsed first).</summary>
    /// <exception cref="FormatException">A bad line (the message names it).</exception>
    public IEnumerable<(string HostPort, Fingerprint Fingerprint)> Read() => ReadEntries().Select(e => (e.HostPort, e.Fingerprint));

    /// <summary>All entries in file order (the whole file is parsed first).</summary>
    /// <exception cref="FormatException">A bad line (the message names it).</exception>
    public IReadOnlyList<KnownHostEntry> ReadEntries() =>
        File.Exists(_path) ? ParseEntries(File.ReadLines(_path), _path).ToList() : [];

    /// <summary>
    /// Parses the lines of a known_hosts file (no I/O): <c>host:port SHA256:...</c> per line, blank
    /// lines and <c>#</c> comments skipped. Lazy: a bad line raises when it is reached.
    /// </summary>
    /// <param name="lines">The file's lines.</param>
    /// <param name="fileName">Named in error messages.</param>
    /// <exception cref="FormatException">
    /// A line is not <c>host:port FINGERPRINT [next=FINGERPRINT]</c> (port 1..65535), is not UTF-8 text,
    /// or pins a host already pinned on an earlier line (which pin applied would be left to file
    /// order); the message names the file and line.
    /// </exception>
    public static IEnumerable<(string HostPort, Fingerprint Fingerprint)> Parse(IEnumerable<string> lines, string fileName) =>
        ParseEntries(lines, fileName).Select(e => (e.HostPort, e.Fingerprint));

    /// <summary>As <see cref="Parse"/>, with each line's announced successor.</summary>
    /// <exception cref="FormatException">A bad line; the message names the file and line.</exception>
    public static IEnumerable<KnownHostEntry> ParseEntries(IEnumerable<string> lines, string fileName)
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
            if (parts.Length is < 2 or > 3 || !Fingerprint.TryParse(parts[1], out var fp))
            {
                throw new FormatException($"{fileName}:{lineNo}: expected 'host:port SHA256:...' (optionally followed by next=SHA256:...)");
            }

            Fingerprint? next = null;
            if (parts.Length == 3)
            {
                if (!parts[2].StartsWith("next=", StringComparison.Ordinal) || !Fingerprint.TryParse(parts[2]["next=".Length..], out var n) || n == fp)
                {
                    throw new FormatException($"{fileName}:{lineNo}: expected 'host:port SHA256:...' (optionally followed by next=SHA256:...)");
                }

                next = n;
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

            yield return new KnownHostEntry(parts[0], fp, next);
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

    /// <summary>Records (or replaces) the pin for <paramref name="hostPort"/>; an announced successor is dropped.</summary>
    /// <exception cref="FormatException">The file has a bad line: it is not changed (fix it first).</exception>
    /// <exception cref="IOException">The file or its lock could not be written; it is unchanged.</exception>
    public void Set(string hostPort, Fingerprint fingerprint) =>
        Edit(hostPort, _ => new KnownHostEntry(hostPort, fingerprint, null), addIfMissing: true);

    /// <summary>Removes the pin for <paramref name="hostPort"/>.</summary>
    /// <returns>False when there was none (nothing is written).</returns>
    /// <exception cref="FormatException">The file has a bad line: it is not changed.</exception>
    public bool Remove(string hostPort) => Edit(hostPort, _ => null, addIfMissing: false);

    /// <summary>
    /// Notes that the gateway pinned at <paramref name="hostPort"/> as <paramref name="current"/>
    /// announced <paramref name="next"/> (the caller verified the signed statement). Nothing happens
    /// when the pin is not <paramref name="current"/> any more or already names that successor.
    /// </summary>
    /// <returns>True when the file was changed.</returns>
    /// <exception cref="FormatException">The file has a bad line: it is not changed.</exception>
    public bool RecordSuccessor(string hostPort, Fingerprint current, Fingerprint next) =>
        Edit(hostPort, e => e is { } old && old.Fingerprint == current && old.Next != next ? old with { Next = next } : e, addIfMissing: false);

    /// <summary>
    /// The gateway at <paramref name="hostPort"/> now presents the successor it announced: it becomes
    /// the pin, alone (the old key is forgotten).
    /// </summary>
    /// <returns>True when the file was changed.</returns>
    /// <exception cref="FormatException">The file has a bad line: it is not changed.</exception>
    public bool Promote(string hostPort, Fingerprint next) =>
        Edit(hostPort, e => e is { } old && old.Next == next ? new KnownHostEntry(old.HostPort, next, null) : e, addIfMissing: false);

    /// <inheritdoc />
    Fingerprint? IPinRollover.Successor(Connections.Endpoint endpoint) => FindEntry(endpoint.ToString())?.Next;

    /// <inheritdoc />
    void IPinRollover.RecordSuccessor(Connections.Endpoint endpoint, Fingerprint current, Fingerprint next) => RecordSuccessor(endpoint.ToString(), current, next);

    /// <inheritdoc />
    void IPinRollover.Promote(Connections.Endpoint endpoint, Fingerprint next) => Promote(endpoint.ToString(), next);

    /// <summary>
    /// Read-modify-write under the file's lock: parses the whole file (refusing a bad one), applies
    /// <paramref name="change"/> to <paramref name="hostPort"/>'s entry (null: none; returning null
    /// removes it), keeps every other line as it was, and replaces the file atomically.
    /// </summary>
    private bool Edit(string hostPort, Func<KnownHostEntry?, KnownHostEntry?> change, bool addIfMissing)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path))!);
        // Locked, unique temporary file, fsync, rename (two `gatehouse trust` runs at once both land).
        using var held = StateFile.Lock(_path);
        var lines = File.Exists(_path) ? File.ReadAllLines(_path).ToList() : [];
        var entries = ParseEntries(lines, _path).ToList();
        var old = entries.FirstOrDefault(e => string.Equals(e.HostPort, hostPort, StringComparison.OrdinalIgnoreCase));
        KnownHostEntry? before = old.HostPort is null ? null : old;
        var after = change(before);
        if (after == before || (before is null && !addIfMissing))
        {
            return false;
        }

        int index = lines.FindIndex(l =>
        {
            string t = l.Trim();
            var parts = t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return t.Length > 0 && t[0] != '#' && parts.Length >= 1 && string.Equals(parts[0], hostPort, StringComparison.OrdinalIgnoreCase);
        });
        if (after is not { } entry)
        {
            lines.RemoveAt(index);
        }
        else
        {
            string line = entry.Next is { } n ? $"{entry.HostPort} {entry.Fingerprint} next={n}" : $"{entry.HostPort} {entry.Fingerprint}";
            if (index >= 0)
            {
                lines[index] = line;
            }
            else
            {
                lines.Add(line);
            }
        }

        StateFile.Replace(_path, lines, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return true;
    }
}
