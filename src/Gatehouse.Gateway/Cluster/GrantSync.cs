using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Cluster;

/// <summary>
/// Keeps one member's grants in step with the cluster: joins the grant ledger
/// (<see cref="GrantLedger"/>, persisted in <c>cluster_grants</c>) and the member's
/// <c>authorized_peers</c>, which stays a readable local copy of the grants in force. Local edits of
/// the file (<c>gatehouse authorize</c> or by hand) become ledger entries to gossip; entries from
/// other members are merged and written back to the file. No networking: the caller carries
/// entries between members (over the gateways' TLS links) and gossips <see cref="Digest"/>.
/// </summary>
/// <remarks>
/// <para>Each step reads and rewrites <c>authorized_peers</c> holding the lock that
/// <see cref="AuthorizedPeers.Upsert"/> takes, so a concurrent <c>gatehouse authorize</c> is never
/// lost: the step first takes in whatever edit the file holds, then writes the merged grants. A file
/// that cannot be read or parsed, or that <see cref="StrictModes"/> refuses, is neither taken in nor
/// overwritten: the step reports one line and the next step tries again (the ledger keeps merging,
/// and <see cref="Find"/> answers from it). A missing file (after one existed) is written again from
/// the ledger: deleting it revokes nothing; empty it to revoke every grant.</para>
/// <para>The ledger is saved before the file is rewritten, so a crash between the two leaves a file
/// that the next start reads as "no local edit" or as edits the ledger already holds (which make no
/// entry).</para>
/// <para>Thread-safe: every public member takes one lock (file I/O included; the files are small).</para>
/// </remarks>
public sealed class GrantSync
{
    /// <summary>The comment a rendered <c>authorized_peers</c> carries.</summary>
    public const string ClusterNote = "# This gateway is in a cluster: grants made here spread to every member, and grants made on any member are written here (docs/cluster.md).";

    private static readonly UnixFileMode FileMode644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private readonly object _lock = new();
    private readonly GrantLedger _ledger;
    private FileStamp _seenStamp = FileStamp.Never;
    private bool _pending = true;
    private (long Version, string Hash) _saved;

    private GrantSync(string authorizedPath, string ledgerPath, GrantLedger ledger)
    {
        AuthorizedPath = authorizedPath;
        LedgerPath = ledgerPath;
        _ledger = ledger;
    }

    /// <summary>The member's <c>authorized_peers</c>.</summary>
    public string AuthorizedPath { get; }

    /// <summary>The ledger's file, <c>cluster_grants</c>.</summary>
    public string LedgerPath { get; }

    /// <summary>Why <c>cluster_grants</c> was not used at start (one line), or null.</summary>
    public string? StartupError { get; private init; }

    /// <summary>What the first step did: the entries made from <c>authorized_peers</c> at start, to gossip.</summary>
    public GrantSyncResult Startup { get; private set; } = GrantSyncResult.None;

    /// <summary>
    /// Loads <c>cluster_grants</c> (a bad one is reported in <see cref="StartupError"/> and not used),
    /// then takes in <c>authorized_peers</c>: as edits when the ledger knows what the file held, else
    /// adopted at timestamp 0 (<see cref="GrantLedger.Adopt"/>), and writes the file when the ledger
    /// says more.
    /// </summary>
    /// <param name="authorizedPath">The member's <c>authorized_peers</c>.</param>
    /// <param name="ledgerPath">The ledger's file (<see cref="GrantStateFile.FileName"/> in the state directory).</param>
    /// <param name="origin">This member's fingerprint as <c>SHA256:</c> text.</param>
    /// <param name="time">The wall clock.</param>
    /// <param name="options">Ledger limits (defaults when null).</param>
    public static GrantSync Open(string authorizedPath, string ledgerPath, string origin, TimeProvider time, GrantLedgerOptions? options = null)
    {
        var ledger = new GrantLedger(origin, time, options);
        string? error = GrantStateFile.Load(ledgerPath, ledger);
        var sync = new GrantSync(authorizedPath, ledgerPath, ledger) { StartupError = error };
        if (error is null && ledger.Baseline is not null)
        {
            sync._saved = (ledger.Digest.Version, ledger.Digest.Hash);
        }

        lock (sync._lock)
        {
            sync.Startup = sync.StepUnsynchronized([], [], 0);
        }

        return sync;
    }

    /// <summary>The digest to gossip in this member's metadata.</summary>
    public GrantDigest Digest
    {
        get
        {
            lock (_lock)
            {
                return _ledger.Digest;
            }
        }
    }

    /// <summary>The grant in force for <paramref name="fingerprint"/> according to the ledger (the file follows within a step).</summary>
    public PeerGrant? Find(Fingerprint fingerprint)
    {
        lock (_lock)
        {
            return _ledger.Find(fingerprint);
        }
    }

    /// <summary>Every entry (a full pull's answer).</summary>
    public IReadOnlyList<GrantEntry> Export()
    {
        lock (_lock)
        {
            return _ledger.Export();
        }
    }

    /// <summary>The entries stored after version <paramref name="version"/> (an incremental pull's answer; see <see cref="GrantDigest"/>).</summary>
    public IReadOnlyList<GrantEntry> Since(long version)
    {
        lock (_lock)
        {
            return _ledger.Since(version);
        }
    }

    /// <summary>
    /// Call from the once-a-second sweep: when <c>authorized_peers</c> changed since the last step
    /// (or the last step failed), takes in its edits and rewrites it if the ledger says more; also
    /// drops expired tombstones. Cheap when nothing changed (one <c>statx</c>).
    /// </summary>
    /// <returns>The new local entries to gossip, and the grants in force that changed.</returns>
    public GrantSyncResult OnLocalFileChanged()
    {
        lock (_lock)
        {
            bool purged = _ledger.Purge() > 0;
            if (!_pending && !purged && SameFile(FileStamp.Of(AuthorizedPath), _seenStamp))
            {
                return GrantSyncResult.None;
            }

            return StepUnsynchronized([], [], 0);
        }
    }

    /// <summary>
    /// Merges entries from another member, saves the ledger and rewrites <c>authorized_peers</c> when
    /// grants in force changed (taking in any local edit first).
    /// </summary>
    /// <returns>The grants in force that changed (drop a revoked gateway's keys; GOAWAY changed sessions), entries refused, and any local entries made.</returns>
    public GrantSyncResult ApplyRemote(IEnumerable<GrantEntry> entries)
    {
        lock (_lock)
        {
            var (changes, refused) = _ledger.Merge(entries);
            try
            {
                SaveIfChangedUnsynchronized(force: false); // kept even when authorized_peers cannot be written now
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _pending = true;
                return new GrantSyncResult([], changes, refused, ex.Message);
            }

            return StepUnsynchronized([], changes, refused);
        }
    }

    /// <summary>
    /// Takes in the file's edits, saves the ledger, and writes the file when it differs from the
    /// grants in force. Caller holds <see cref="_lock"/>.
    /// </summary>
    private GrantSyncResult StepUnsynchronized(List<GrantEntry> local, IReadOnlyList<GrantChange> changes, int refused)
    {
        var allChanges = new List<GrantChange>(changes);
        string? error = null;
        try
        {
            using var held = StateFile.Lock(AuthorizedPath);
            var stamp = FileStamp.Of(AuthorizedPath);
            var (lines, fileGrants) = ReadAuthorized(stamp);
            if (fileGrants is null && _ledger.Baseline is null)
            {
                _ledger.MarkRendered([]); // no file yet: what is written into it from now on is a local edit
            }

            if (fileGrants is not null)
            {
                var liveBefore = _ledger.LiveGrants().ToDictionary(g => g.Fingerprint);
                local.AddRange(_ledger.Baseline is null ? _ledger.Adopt(fileGrants) : _ledger.ObserveLocal(fileGrants));
                foreach (var entry in local)
                {
                    var before = liveBefore.GetValueOrDefault(entry.Fingerprint);
                    if (before?.ToLine() != _ledger.Find(entry.Fingerprint)?.ToLine())
                    {
                        allChanges.Add(new GrantChange(entry.Fingerprint, before, _ledger.Find(entry.Fingerprint)));
                    }
                }
            }

            SaveIfChangedUnsynchronized(force: false);
            var live = _ledger.LiveGrants();
            if (fileGrants is not null && SameGrants(fileGrants, live))
            {
                _seenStamp = stamp;
            }
            else if (fileGrants is null && live.Count == 0)
            {
                _seenStamp = stamp; // no file, nothing granted: a lone gateway's first start; write nothing
            }
            else if (!SameFile(FileStamp.Of(AuthorizedPath), stamp))
            {
                // Edited by hand (without the lock) since it was read: take that edit in at the next step.
                _pending = true;
                return new GrantSyncResult(local, allChanges, refused, null);
            }
            else
            {
                StateFile.Replace(AuthorizedPath, Render(lines, live), FileMode644);
                _ledger.MarkRendered(live);
                _seenStamp = FileStamp.Of(AuthorizedPath);
                SaveIfChangedUnsynchronized(force: true);
            }

            _pending = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            error = ex.Message;
            _pending = true;
        }

        return new GrantSyncResult(local, allChanges, refused, error);
    }

    /// <summary>
    /// Reads <c>authorized_peers</c>: its lines and grants, or (null, null) when it does not exist.
    /// </summary>
    /// <exception cref="IOException">Unreadable, or refused by <see cref="StrictModes"/>.</exception>
    /// <exception cref="FormatException">A bad line.</exception>
    private (string[]? Lines, List<PeerGrant>? Grants) ReadAuthorized(FileStamp stamp)
    {
        if (!stamp.Exists)
        {
            return stamp.Errno is FileStatus.ENOENT or FileStatus.ENOTDIR
                ? (null, null)
                : throw new IOException($"{AuthorizedPath}: {FileStatus.Describe(stamp.Errno)}");
        }

        if (StrictModes.Problem(AuthorizedPath, stamp.File, stamp.DirectoryErrno == 0 ? stamp.Directory : null) is { } problem)
        {
            throw new IOException(problem + "; its edits are not spread to the cluster and it is not rewritten until fixed");
        }

        string[] lines = File.ReadAllLines(AuthorizedPath);
        return (lines, AuthorizedPeers.Parse(lines, AuthorizedPath));
    }

    /// <summary>
    /// True when the file itself did not change (the directory's status is left out: saving
    /// <c>cluster_grants</c> and taking the lock change it).
    /// </summary>
    private static bool SameFile(FileStamp a, FileStamp b) => a.Errno == b.Errno && a.File == b.File;

    private void SaveIfChangedUnsynchronized(bool force)
    {
        var digest = _ledger.Digest;
        if (force || _saved != (digest.Version, digest.Hash))
        {
            GrantStateFile.Save(LedgerPath, _ledger);
            _saved = (digest.Version, digest.Hash);
        }
    }

    private static bool SameGrants(List<PeerGrant> file, IReadOnlyList<PeerGrant> live) =>
        file.Count == live.Count
        && file.Select(g => GrantEntry.Canonical(g).ToLine()).Order(StringComparer.Ordinal)
            .SequenceEqual(live.Select(g => g.ToLine()).Order(StringComparer.Ordinal));

    /// <summary>
    /// The file's new lines: its comments and blank lines kept where they are, each grant line
    /// replaced by the grant in force (or dropped when revoked), new grants appended by name; the
    /// header and <see cref="ClusterNote"/> added when missing.
    /// </summary>
    internal static List<string> Render(string[]? existing, IReadOnlyList<PeerGrant> live)
    {
        var byFingerprint = live.ToDictionary(g => g.Fingerprint);
        var placed = new HashSet<Fingerprint>();
        var output = new List<string>();
        var lines = existing ?? [AuthorizedPeers.Header];
        int leadingComments = lines.TakeWhile(l => l.TrimStart().StartsWith('#')).Count();
        for (int i = 0; i < lines.Length; i++)
        {
            if (i == leadingComments && !lines.Contains(ClusterNote))
            {
                output.Add(ClusterNote);
            }

            string t = lines[i].Trim();
            if (t.Length == 0 || t[0] == '#')
            {
                output.Add(lines[i]);
            }
            else if (Fingerprint.TryParse(t.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0], out var fp)
                && byFingerprint.TryGetValue(fp, out var grant) && placed.Add(fp))
            {
                output.Add(grant.ToLine());
            }
        }

        if (leadingComments == lines.Length && !lines.Contains(ClusterNote))
        {
            output.Add(ClusterNote);
        }

        output.AddRange(live.Where(g => !placed.Contains(g.Fingerprint)).Select(g => g.ToLine()));
        return output;
    }
}
