using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Authorization;

/// <summary>
/// The gateway's authorized file (<c>authorized_peers</c> in the state directory), one peer a line:
/// <code>
/// # fingerprint          name     roles                  domains (optional)
/// SHA256:9rfR0t3c...     alice    roles=client,admin
/// SHA256:Qm1k...         mailsvc  roles=service          domains=mail,default
/// SHA256:Zx8p...         gw2      roles=gateway
/// </code>
/// The gateway re-reads the file when its status changes (modification or status-change time,
/// inode, size; checked once a second), so <c>gatehouse authorize</c> takes effect for the next
/// connection without a restart, and a <c>chmod</c> or <c>chown</c> is noticed too.
/// </summary>
/// <remarks>
/// Any error keeps the previous good contents in force and is retried at the next check: a bad
/// line, a file the gateway cannot read (wrong owner, mode, a directory in its place), a file that
/// disappeared after it had been loaded (an editor that replaces files non-atomically; empty the file
/// to revoke every peer), and a file refused as OpenSSH's StrictModes would refuse an
/// <c>authorized_keys</c> (see <see cref="StrictModes"/>). Only a file that has never existed means
/// "no peers" (a gateway's first start).
/// </remarks>
public sealed class AuthorizedPeers
{
    private readonly string _path;
    private readonly object _lock = new();
    private Dictionary<Fingerprint, PeerGrant> _grants = [];
    private FileStamp _loadedStamp = FileStamp.Never;
    private bool _loadedFromFile;

    public AuthorizedPeers(string path)
    {
        _path = path;
        Reload();
    }

    /// <summary>The file's path.</summary>
    public string Path => _path;

    private int _version;

    /// <summary>Increases with every successful load (whoever triggered it), so sweeps can tell a change happened.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>The last error met when reading the file, if the file is currently bad (the previous grants are in force).</summary>
    public string? LastError { get; private set; }

    /// <summary>
    /// Returns the grant for <paramref name="fingerprint"/>, or null when it is not authorized. Reads
    /// the loaded grants only; the gateway's once-a-second sweep (<see cref="GatewayRuntime.EnforceAuthorizations"/>)
    /// re-reads the file when it changes.
    /// </summary>
    public PeerGrant? Find(Fingerprint fingerprint)
    {
        lock (_lock)
        {
            return _grants.GetValueOrDefault(fingerprint);
        }
    }

    /// <summary>Every grant.</summary>
    public IReadOnlyList<PeerGrant> All()
    {
        lock (_lock)
        {
            return [.. _grants.Values];
        }
    }

    /// <summary>Re-reads the file if it changed since the last load, or if the last load failed. Never throws.</summary>
    /// <returns>True when the file was loaded without error.</returns>
    public bool ReloadIfChanged()
    {
        var stamp = FileStamp.Of(_path);
        lock (_lock)
        {
            if (stamp == _loadedStamp && LastError is null)
            {
                return false;
            }
        }

        return Reload() is null;
    }

    /// <summary>Re-reads the file now; on error the previous contents stay in force and <see cref="LastError"/> says why. Never throws.</summary>
    /// <returns>Null on success, else the error.</returns>
    public string? Reload()
    {
        var stamp = FileStamp.Of(_path);
        try
        {
            var grants = Read(stamp);
            lock (_lock)
            {
                _grants = grants.ToDictionary(g => g.Fingerprint);
                _loadedStamp = stamp;
                _loadedFromFile |= stamp.Exists;
                LastError = null;
                _version++;
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            string message = ex is FormatException || ex.Message.StartsWith(_path, StringComparison.Ordinal) ? ex.Message : $"{_path}: {ex.Message}";
            lock (_lock)
            {
                _loadedStamp = stamp;
                LastError = message;
            }

            return message;
        }
    }

    /// <summary>Reads and parses the file whose status is <paramref name="stamp"/>.</summary>
    private List<PeerGrant> Read(FileStamp stamp)
    {
        if (!stamp.Exists)
        {
            if (stamp.Errno is not (FileStatus.ENOENT or FileStatus.ENOTDIR))
            {
                throw new IOException($"{_path}: {FileStatus.Describe(stamp.Errno)}");
            }

            bool loaded;
            lock (_lock)
            {
                loaded = _loadedFromFile;
            }

            // Never loaded: a gateway's first start, no peers yet. Loaded before: a vanished file is an
            // error (an editor mid-save, a mistaken mv), not a silent revocation of every peer.
            return loaded
                ? throw new IOException($"{_path} is missing; the peers loaded before stay authorized (to revoke every peer, empty the file)")
                : [];
        }

        if (StrictModes.Problem(_path, stamp.File, stamp.DirectoryErrno == 0 ? stamp.Directory : null) is { } problem)
        {
            throw new IOException(problem);
        }

        return Parse(File.ReadAllLines(_path), _path);
    }

    /// <summary>
    /// Parses the lines of an authorized file. Errors name the file and line: a line that is not
    /// <c>FINGERPRINT NAME [roles=...] [domains=...]</c>, text that was not UTF-8, a name or domain
    /// outside <see cref="PeerGrant.Validate"/>'s syntax, and a fingerprint granted twice.
    /// </summary>
    /// <exception cref="FormatException">A bad line.</exception>
    public static List<PeerGrant> Parse(IEnumerable<string> lines, string fileName)
    {
        var result = new List<PeerGrant>();
        var seen = new Dictionary<Fingerprint, int>();
        int lineNo = 0;
        foreach (string raw in lines)
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.Contains('\uFFFD', StringComparison.Ordinal))
            {
                throw new FormatException($"{fileName}:{lineNo}: not valid UTF-8 text");
            }

            var grant = ParseLine(line, fileName, lineNo);
            var fp = grant.Fingerprint;

            // Two lines for one fingerprint would leave which grant applies to chance (and made Reload throw).
            if (!seen.TryAdd(fp, lineNo))
            {
                throw new FormatException($"{fileName}:{lineNo}: fingerprint {fp} already granted on line {seen[fp]}");
            }

            result.Add(grant);
        }

        return result;
    }

    /// <summary>
    /// Parses one grant line (<c>FINGERPRINT NAME [roles=...] [domains=...]</c>, no comment), as
    /// <see cref="Parse"/> does for each line of the file; also used for the grant lines of the
    /// cluster's grant ledger.
    /// </summary>
    /// <exception cref="FormatException">A bad line; the message starts with <c>fileName:lineNo:</c>.</exception>
    public static PeerGrant ParseLine(string line, string fileName, int lineNo)
    {
        string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !Fingerprint.TryParse(parts[0], out var fp))
        {
            throw new FormatException($"{fileName}:{lineNo}: expected 'FINGERPRINT NAME [roles=...] [domains=...]'");
        }

        PeerRoles? roles = null;
        IReadOnlyList<string>? domains = null;
        foreach (string option in parts.Skip(2))
        {
            if (option.StartsWith("roles=", StringComparison.Ordinal))
            {
                // A second roles= or domains= is how an injected value would widen a grant: refuse the line.
                roles = roles is null
                    ? ParseRoles(option["roles=".Length..], fileName, lineNo)
                    : throw new FormatException($"{fileName}:{lineNo}: roles= given twice");
            }
            else if (option.StartsWith("domains=", StringComparison.Ordinal))
            {
                domains = domains is null
                    ? option["domains=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries)
                    : throw new FormatException($"{fileName}:{lineNo}: domains= given twice");
            }
            else
            {
                throw new FormatException($"{fileName}:{lineNo}: unknown option '{option}'");
            }
        }

        var grant = new PeerGrant(fp, parts[1], roles ?? PeerRoles.Client, domains ?? []);
        if (grant.Validate() is { } problem)
        {
            throw new FormatException($"{fileName}:{lineNo}: {problem}");
        }

        return grant;
    }

    /// <summary>Parses <c>client,service,admin,gateway</c> (admin implies client; gateway implies nothing).</summary>
    public static PeerRoles ParseRoles(string text, string fileName = "roles", int lineNo = 0)
    {
        var roles = PeerRoles.None;
        foreach (string role in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            roles |= role switch
            {
                "client" => PeerRoles.Client,
                "service" => PeerRoles.Service,
                "admin" => PeerRoles.Admin | PeerRoles.Client,
                "gateway" => PeerRoles.Gateway,
                _ => throw new FormatException($"{fileName}:{lineNo}: unknown role '{role}' (client, service, admin, gateway)"),
            };
        }

        return roles;
    }

    /// <summary>The comment a new authorized file starts with.</summary>
    public const string Header = "# Gatehouse authorized peers: FINGERPRINT NAME roles=client|service|admin|gateway[,...] [domains=D1,D2]";

    /// <summary>
    /// Adds or replaces the line for <paramref name="grant"/>'s fingerprint. Concurrent callers (other
    /// <c>gatehouse authorize</c> processes) are serialised by <see cref="StateFile.Lock"/>, and the file
    /// is replaced atomically and durably (<see cref="StateFile.Replace"/>), keeping its mode and owner.
    /// </summary>
    /// <exception cref="ArgumentException">The grant's name or a domain is not valid (<see cref="PeerGrant.Validate"/>).</exception>
    /// <exception cref="IOException">The file or its lock could not be read or written; the file is unchanged.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to write the state directory.</exception>
    public static void Upsert(string path, PeerGrant grant)
    {
        if (grant.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(grant));
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        using var held = StateFile.Lock(path);
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : [Header];
        ParseForEdit(lines, path);
        int index = lines.FindIndex(l => LineFingerprint(l) == grant.Fingerprint);
        if (index >= 0)
        {
            lines[index] = grant.ToLine(); // a changed grant keeps its place (and the comments around it)
        }
        else
        {
            lines.Add(grant.ToLine());
        }

        // Not secret (fingerprints and names) and read by the gateway's user, who may not be the caller.
        StateFile.Replace(path, lines, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>
    /// Removes <paramref name="fingerprint"/>'s grant from the file at <paramref name="path"/> under
    /// the same lock as <see cref="Upsert"/>, atomically; comments and other lines are kept. In a
    /// cluster the removal spreads to every member (docs/cluster.md).
    /// </summary>
    /// <returns>False when the file holds no grant for it (nothing is written).</returns>
    public static bool Remove(string path, Fingerprint fingerprint)
    {
        using var held = StateFile.Lock(path);
        if (!File.Exists(path))
        {
            return false;
        }

        var lines = File.ReadAllLines(path).ToList();
        ParseForEdit(lines, path);
        int removed = lines.RemoveAll(l => LineFingerprint(l) == fingerprint);
        if (removed == 0)
        {
            return false;
        }

        StateFile.Replace(path, lines, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return true;
    }

    /// <summary>
    /// Moves <paramref name="from"/>'s grant to <paramref name="to"/> in one atomic write (a peer's key
    /// rotation): same name, roles and domains; the old line is replaced in place.
    /// </summary>
    /// <returns>The new grant, or null when <paramref name="from"/> has no grant.</returns>
    /// <exception cref="AuthorizedPeersException">The file does not parse, or <paramref name="to"/> already has a grant.</exception>
    /// <exception cref="IOException">The file or its lock could not be read or written; the file is unchanged.</exception>
    public static PeerGrant? Move(string path, Fingerprint from, Fingerprint to, DateTimeOffset now)
    {
        using var held = StateFile.Lock(path);
        if (!File.Exists(path))
        {
            return null;
        }

        var lines = File.ReadAllLines(path).ToList();
        var grants = ParseForEdit(lines, path);
        if (grants.FirstOrDefault(g => g.Fingerprint == from) is not { } old)
        {
            return null;
        }

        if (grants.Any(g => g.Fingerprint == to))
        {
            throw new AuthorizedPeersException($"{path}: {to} already has a grant; not moving {old.Name}'s grant onto it");
        }

        var moved = old with { Fingerprint = to };
        PeerAddedTimes.Record(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, PeerAddedTimes.FileName), to, now);
        lines[lines.FindIndex(l => LineFingerprint(l) == from)] = moved.ToLine();
        StateFile.Replace(path, lines, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return moved;
    }

    /// <summary>Reads the grants of the file at <paramref name="path"/> (none when it does not exist).</summary>
    /// <exception cref="AuthorizedPeersException">A bad line (<c>file:line</c>).</exception>
    public static IReadOnlyList<PeerGrant> ReadFile(string path) =>
        File.Exists(path) ? ParseForEdit(File.ReadAllLines(path), path) : [];

    /// <summary>Parses the whole file before an edit: one that does not parse is never edited (the edit would never take effect).</summary>
    private static List<PeerGrant> ParseForEdit(IEnumerable<string> lines, string path)
    {
        try
        {
            return Parse(lines, path);
        }
        catch (FormatException ex)
        {
            throw new AuthorizedPeersException(ex.Message + " (fix this line first: the gateway keeps its last good grants until the file parses)", ex);
        }
    }

    /// <summary>The fingerprint a grant line starts with; default for comments, blank and other lines.</summary>
    private static Fingerprint LineFingerprint(string line)
    {
        string[] parts = line.Trim().Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 0 && !parts[0].StartsWith('#') && Fingerprint.TryParse(parts[0], out var fp) ? fp : default;
    }
}
