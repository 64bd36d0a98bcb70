using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Authorization;

/// <summary>
/// The gateway's authorized file (<c>authorized_peers</c> in the state directory), one peer a line:
/// <code>
/// # fingerprint          name     roles                  domains (optional)
/// SHA256:9rfR0t3c...     alice    roles=client,admin
/// SHA256:Qm1k...         mailsvc  roles=service          domains=mail,default
/// </code>
/// The gateway re-reads the file when its modification time changes (checked once a second), so
/// <c>gatehouse authorize</c> takes effect for the next connection without a restart. A file with
/// an error keeps the previous good contents in force.
/// </summary>
public sealed class AuthorizedPeers
{
    private readonly string _path;
    private readonly object _lock = new();
    private Dictionary<Fingerprint, PeerGrant> _grants = [];
    private DateTime _loadedStamp = DateTime.MinValue;

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

    /// <summary>The last error met when reading the file, if the file is currently bad.</summary>
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

    /// <summary>Re-reads the file if it changed since the last load.</summary>
    /// <returns>True when the file changed and was loaded without error.</returns>
    public bool ReloadIfChanged()
    {
        DateTime stamp = File.Exists(_path) ? File.GetLastWriteTimeUtc(_path) : DateTime.MinValue;
        return stamp != _loadedStamp && Reload() is null;
    }

    /// <summary>Re-reads the file now; on error the previous contents stay in force and <see cref="LastError"/> says why.</summary>
    /// <returns>Null on success, else the error.</returns>
    public string? Reload()
    {
        DateTime stamp = File.Exists(_path) ? File.GetLastWriteTimeUtc(_path) : DateTime.MinValue;
        try
        {
            var grants = File.Exists(_path) ? Parse(File.ReadAllLines(_path), _path) : [];
            lock (_lock)
            {
                _grants = grants.ToDictionary(g => g.Fingerprint);
                _loadedStamp = stamp;
                LastError = null;
                _version++;
            }

            return null;
        }
        catch (FormatException ex)
        {
            lock (_lock)
            {
                _loadedStamp = stamp;
                LastError = ex.Message;
            }

            return ex.Message;
        }
    }

    /// <summary>Parses the lines of an authorized file. Errors name the file and line.</summary>
    /// <exception cref="FormatException">A bad line.</exception>
    public static List<PeerGrant> Parse(IEnumerable<string> lines, string fileName)
    {
        var result = new List<PeerGrant>();
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
            if (parts.Length < 2 || !Fingerprint.TryParse(parts[0], out var fp))
            {
                throw new FormatException($"{fileName}:{lineNo}: expected 'FINGERPRINT NAME [roles=...] [domains=...]'");
            }

            var roles = PeerRoles.Client;
            IReadOnlyList<string> domains = [];
            foreach (string option in parts.Skip(2))
            {
                if (option.StartsWith("roles=", StringComparison.Ordinal))
                {
                    roles = ParseRoles(option["roles=".Length..], fileName, lineNo);
                }
                else if (option.StartsWith("domains=", StringComparison.Ordinal))
                {
                    domains = option["domains=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries);
                }
                else
                {
                    throw new FormatException($"{fileName}:{lineNo}: unknown option '{option}'");
                }
            }

            result.Add(new PeerGrant(fp, parts[1], roles, domains));
        }

        return result;
    }

    /// <summary>Parses <c>client,service,admin</c>.</summary>
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
                _ => throw new FormatException($"{fileName}:{lineNo}: unknown role '{role}' (client, service, admin)"),
            };
        }

        return roles;
    }

    /// <summary>Adds or replaces the line for <paramref name="grant"/>'s fingerprint, atomically.</summary>
    public static void Upsert(string path, PeerGrant grant)
    {
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : ["# Gatehouse authorized peers: FINGERPRINT NAME roles=client|service|admin[,...] [domains=D1,D2]"];
        string fp = grant.Fingerprint.ToString();
        lines.RemoveAll(l => l.TrimStart().StartsWith(fp + " ", StringComparison.Ordinal));
        lines.Add(grant.ToLine());
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        string tmp = path + ".tmp";
        File.WriteAllLines(tmp, lines);
        File.Move(tmp, path, overwrite: true);
    }
}
