using Gatehouse.Cluster.Registry;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Cluster;

/// <summary>
/// Keeps a gateway's <c>authorized_peers</c> and the cluster-wide grants of a registry store (etcd)
/// in step, both ways: the store is the source of truth, and the file stays the readable local
/// copy that <c>gatehouse authorize</c> edits. What the file and the store last agreed on is kept
/// in <c>registry_grants</c> (the state directory), so a step can tell an edit of the file (written
/// to the store) from a change in the store (written to the file).
/// </summary>
/// <remarks>
/// <para>One step (<see cref="StepAsync"/>, run once a second and at every grant change in the view):
/// the file's grants that differ from the agreed ones are written to the store (a grant removed from
/// the file is removed from the store); then the file is rewritten to the store's grants, comments
/// kept, under the lock <see cref="AuthorizedPeers.Upsert"/> takes, only if nobody edited it since it
/// was read. A write the store's view does not show yet is held over the view for a few seconds, so
/// the file never flaps while the watch catches up. While the store cannot be reached nothing is
/// rewritten and the edits wait; the gateway keeps authorizing from the file.</para>
/// <para>The first step on a store (no <c>registry_grants</c>: a gateway moving from gossip, or a new
/// one) adopts the file: its grants that the store does not hold are written to it; where both hold
/// one, the store's wins. Once, each gateway also grants itself the gateway role in the store (so
/// every member accepts its forwarded requests); a gateway whose grant was removed in the store does
/// not grant itself again.</para>
/// <para>Grants in the store that do not parse, or whose key names another fingerprint, are left out
/// (said once each): a typo made with <c>etcdctl</c> grants nothing.</para>
/// <para><see cref="StepAsync"/> is not reentrant (the caller runs one at a time); <see cref="Find"/> and
/// <see cref="InForce"/> are thread-safe.</para>
/// </remarks>
internal sealed class RegistryGrants(string authorizedPath, string basePath, Fingerprint self, TimeProvider? time = null)
{
    /// <summary>The file, in the state directory, of the grants the file and the store last agreed on.</summary>
    public const string FileName = "registry_grants";

    /// <summary>How long a grant written to the store is held over a view that does not show it yet.</summary>
    internal static readonly TimeSpan AwaitView = TimeSpan.FromSeconds(5);

    private static readonly UnixFileMode FileMode644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<Fingerprint, (string? Line, DateTimeOffset Until)> _awaiting = [];
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private Parsed _parsed = new(RegistryView.Empty.Grants, new Dictionary<Fingerprint, PeerGrant>(), []);
    private Dictionary<Fingerprint, PeerGrant>? _agreed;
    private bool _agreedLoaded;

    /// <summary>The grant of <paramref name="fingerprint"/> in the store, as <paramref name="view"/> shows it.</summary>
    public PeerGrant? Find(RegistryView view, Fingerprint fingerprint) => Parse(view).Grants.GetValueOrDefault(fingerprint);

    /// <summary>The store's grants, as <paramref name="view"/> shows them.</summary>
    public IEnumerable<PeerGrant> InForce(RegistryView view) => Parse(view).Grants.Values;

    /// <summary>One step (see the type's remarks).</summary>
    /// <exception cref="OperationCanceledException">Stopping.</exception>
    public async Task<RegistryGrantsStep> StepAsync(IClusterRegistry registry, CancellationToken cancellationToken)
    {
        var view = registry.View;
        if (view.Revision == 0)
        {
            return RegistryGrantsStep.None; // the store was never read: nothing is known of its grants
        }

        var parsed = Parse(view);
        string? storeProblem = parsed.Problems.FirstOrDefault(p => _reported.Add(p));
        var stamp = FileStamp.Of(authorizedPath);
        string[]? lines;
        Dictionary<Fingerprint, PeerGrant> file;
        try
        {
            (lines, var grants) = Read(stamp);
            file = (grants ?? []).Select(GrantEntry.Canonical).GroupBy(g => g.Fingerprint).ToDictionary(g => g.Key, g => g.Last());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return new RegistryGrantsStep(0, false, ex.Message + "; its edits are not written to the registry and it is not rewritten until fixed");
        }

        var agreed = Agreed(out string? agreedProblem);
        var edits = new List<(Fingerprint Fingerprint, PeerGrant? Grant)>();
        if (agreed is null)
        {
            // First step on this store: the file's grants the store lacks are adopted.
            edits.AddRange(file.Values.Where(g => !parsed.Grants.ContainsKey(g.Fingerprint)).Select(g => (g.Fingerprint, (PeerGrant?)g)));
        }
        else
        {
            foreach (var fp in file.Keys.Union(agreed.Keys))
            {
                var now = file.GetValueOrDefault(fp);
                if (now?.ToLine() != agreed.GetValueOrDefault(fp)?.ToLine())
                {
                    edits.Add((fp, now));
                }
            }
        }

        if (!parsed.Grants.ContainsKey(self) && agreed?.ContainsKey(self) != true && !edits.Any(e => e.Fingerprint == self))
        {
            edits.Add((self, new PeerGrant(self, SelfName(), PeerRoles.Gateway, [])));
        }

        int written = 0;
        foreach (var (fp, grant) in edits)
        {
            try
            {
                if (grant is null)
                {
                    await registry.RemoveGrantAsync(fp.ToString(), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await registry.PutGrantAsync(fp.ToString(), grant.ToLine(), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (RegistryUnavailableException ex)
            {
                return new RegistryGrantsStep(written, false, $"{edits.Count - written} grant edit(s) of {authorizedPath} are not in the registry yet ({ex.Message}); retried every second");
            }

            _awaiting[fp] = (grant?.ToLine(), _time.GetUtcNow() + AwaitView);
            written++;
        }

        // What the file should hold: the store's grants, with this gateway's writes the view does not show yet.
        var current = Parse(registry.View); // the view may have moved while writing
        var desired = new Dictionary<Fingerprint, PeerGrant>(current.Grants);
        var clock = _time.GetUtcNow();
        foreach (var (fp, (line, until)) in _awaiting.ToList())
        {
            var fresh = current.Grants.GetValueOrDefault(fp)?.ToLine();
            if (fresh == line || clock > until)
            {
                _awaiting.Remove(fp);
                continue;
            }

            if (line is null)
            {
                desired.Remove(fp);
            }
            else
            {
                desired[fp] = AuthorizedPeers.ParseLine(line, "registry", 1);
            }
        }

        bool fileChanged = false;
        if (!Same(file, desired) || (lines is null && desired.Count > 0))
        {
            try
            {
                using var held = StateFile.Lock(authorizedPath);
                var now = FileStamp.Of(authorizedPath);
                if (now.Errno != stamp.Errno || now.File != stamp.File)
                {
                    return new RegistryGrantsStep(written, false, storeProblem ?? agreedProblem); // edited since it was read: the next step takes the edit in
                }

                StateFile.Replace(authorizedPath, GrantSync.Render(lines, [.. desired.Values.OrderBy(g => g.Name, StringComparer.Ordinal)]), FileMode644);
                fileChanged = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new RegistryGrantsStep(written, false, $"{authorizedPath} cannot be rewritten from the registry: {ex.Message}");
            }
        }

        if (agreed is null || !Same(agreed, desired))
        {
            SaveAgreed(desired);
        }

        return new RegistryGrantsStep(written, fileChanged, storeProblem ?? agreedProblem);
    }

    private static string SelfName()
    {
        string name = "gateway-" + new string([.. Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_').Take(40)]);
        return PeerGrant.NameProblem(name) is null ? name : "gateway";
    }

    private static bool Same(Dictionary<Fingerprint, PeerGrant> a, Dictionary<Fingerprint, PeerGrant> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && other.ToLine() == kv.Value.ToLine());

    /// <summary>The file's lines and grants, or (null, null) when there is none.</summary>
    private (string[]? Lines, List<PeerGrant>? Grants) Read(FileStamp stamp)
    {
        if (!stamp.Exists)
        {
            return stamp.Errno is FileStatus.ENOENT or FileStatus.ENOTDIR
                ? (null, null)
                : throw new IOException($"{authorizedPath}: {FileStatus.Describe(stamp.Errno)}");
        }

        if (StrictModes.Problem(authorizedPath, stamp.File, stamp.DirectoryErrno == 0 ? stamp.Directory : null) is { } problem)
        {
            throw new IOException(problem);
        }

        string[] lines = File.ReadAllLines(authorizedPath);
        return (lines, AuthorizedPeers.Parse(lines, authorizedPath));
    }

    /// <summary>What the file and the store last agreed on; null before the first step on this store (or when the file is unusable: adopted again).</summary>
    private Dictionary<Fingerprint, PeerGrant>? Agreed(out string? problem)
    {
        problem = null;
        if (_agreedLoaded)
        {
            return _agreed;
        }

        _agreedLoaded = true;
        try
        {
            if (File.Exists(basePath))
            {
                _agreed = AuthorizedPeers.Parse(File.ReadAllLines(basePath), basePath).Select(GrantEntry.Canonical).GroupBy(g => g.Fingerprint).ToDictionary(g => g.Key, g => g.Last());
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            problem = $"{basePath} is not usable ({ex.Message}): authorized_peers is adopted into the registry again";
        }

        return _agreed;
    }

    private void SaveAgreed(Dictionary<Fingerprint, PeerGrant> grants)
    {
        string[] header =
        [
            "# Gatehouse: the grants authorized_peers and the cluster registry last agreed on.",
            "# Written by the gateway; do not edit (grant with 'gatehouse authorize' or in the registry).",
        ];
        StateFile.Replace(basePath, header.Concat(grants.Values.OrderBy(g => g.Fingerprint.ToString(), StringComparer.Ordinal).Select(g => g.ToLine())), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _agreed = new Dictionary<Fingerprint, PeerGrant>(grants);
    }

    /// <summary>The view's grants parsed (cached per view: the view's map is replaced only when a grant changed).</summary>
    private Parsed Parse(RegistryView view)
    {
        var cached = Volatile.Read(ref _parsed);
        if (ReferenceEquals(cached.Source, view.Grants))
        {
            return cached;
        }

        var grants = new Dictionary<Fingerprint, PeerGrant>();
        var problems = new List<string>();
        foreach (var (id, line) in view.Grants)
        {
            try
            {
                var grant = GrantEntry.Canonical(AuthorizedPeers.ParseLine(line, "registry grant " + id, 1));
                if (grant.Fingerprint.ToString() != id)
                {
                    problems.Add($"the registry's grant under {id} grants {grant.Fingerprint}: left out");
                    continue;
                }

                grants[grant.Fingerprint] = grant;
            }
            catch (FormatException ex)
            {
                problems.Add($"the registry's grant under {id} is not an authorized_peers line ({ex.Message}): left out");
            }
        }

        var parsed = new Parsed(view.Grants, grants, problems);
        Volatile.Write(ref _parsed, parsed);
        return parsed;
    }

    private sealed record Parsed(IReadOnlyDictionary<string, string> Source, Dictionary<Fingerprint, PeerGrant> Grants, List<string> Problems);
}

/// <summary>What one <see cref="RegistryGrants.StepAsync"/> did.</summary>
/// <param name="Written">Grant edits written to the store.</param>
/// <param name="FileChanged">True when <c>authorized_peers</c> was rewritten from the store.</param>
/// <param name="Problem">One line to log, or null.</param>
internal sealed record RegistryGrantsStep(int Written, bool FileChanged, string? Problem)
{
    public static RegistryGrantsStep None { get; } = new(0, false, null);
}
