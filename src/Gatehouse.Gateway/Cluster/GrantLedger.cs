using System.Security.Cryptography;
using System.Text;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Cluster;

/// <summary>
/// The grants of every member of a cluster, as a last-writer-wins map from fingerprint to
/// <see cref="GrantEntry"/> (a grant or a tombstone). Of two entries for one fingerprint the higher
/// (timestamp, origin) wins (<see cref="GrantEntry.Compare"/>), so <see cref="Merge"/> is commutative,
/// associative and idempotent: members that have seen the same entries hold the same ledger, in
/// whatever order the entries arrived.
/// </summary>
/// <remarks>
/// <para>Local edits of <c>authorized_peers</c> come in through <see cref="ObserveLocal"/>, which diffs
/// the file against the grants it was last known to hold (the baseline, set by
/// <see cref="MarkRendered"/>), not against the ledger: a remote change merged but not yet written to
/// the file is not mistaken for a local removal.</para>
/// <para>Tombstones are kept for <see cref="GrantLedgerOptions.TombstoneLifetime"/>, at most
/// <see cref="GrantLedgerOptions.MaxTombstones"/> (oldest dropped first).</para>
/// <para>Not thread-safe: <see cref="GrantSync"/> serialises every call.</para>
/// </remarks>
public sealed class GrantLedger
{
    private readonly Dictionary<Fingerprint, Slot> _entries = [];
    private Dictionary<Fingerprint, PeerGrant>? _baseline;
    private long _version;
    private GrantDigest? _digest;

    /// <summary>Creates an empty ledger for the member <paramref name="origin"/>.</summary>
    /// <param name="origin">This member's fingerprint as <c>SHA256:</c> text; stamped on its changes.</param>
    /// <param name="time">The wall clock.</param>
    /// <param name="options">Limits (defaults when null).</param>
    /// <exception cref="ArgumentException"><paramref name="origin"/> is not a canonical fingerprint.</exception>
    public GrantLedger(string origin, TimeProvider time, GrantLedgerOptions? options = null)
    {
        if (GrantEntry.OriginProblem(origin) is { } problem)
        {
            throw new ArgumentException(problem, nameof(origin));
        }

        Origin = origin;
        Options = (options ?? new GrantLedgerOptions()).Validate();
        Clock = new GrantClock(time);
        Epoch = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue;
    }

    /// <summary>This member's id.</summary>
    public string Origin { get; }

    /// <summary>The limits.</summary>
    public GrantLedgerOptions Options { get; }

    /// <summary>The hybrid logical clock.</summary>
    public GrantClock Clock { get; }

    /// <summary>Random per instance; see <see cref="GrantDigest.Epoch"/>.</summary>
    public long Epoch { get; }

    /// <summary>Entries held, tombstones included.</summary>
    public int Count => _entries.Count;

    /// <summary>Tombstones held.</summary>
    public int TombstoneCount => _entries.Values.Count(s => s.Entry.IsRemoval);

    /// <summary>The grants <c>authorized_peers</c> was last known to hold, or null when unknown (no state yet).</summary>
    public IReadOnlyList<PeerGrant>? Baseline => _baseline is null ? null : [.. _baseline.Values];

    /// <summary>The grant in force for <paramref name="fingerprint"/>, or null.</summary>
    public PeerGrant? Find(Fingerprint fingerprint) =>
        _entries.TryGetValue(fingerprint, out var slot) ? slot.Entry.Grant : null;

    /// <summary>The entry held for <paramref name="fingerprint"/> (grant or tombstone), or null.</summary>
    public GrantEntry? Entry(Fingerprint fingerprint) =>
        _entries.TryGetValue(fingerprint, out var slot) ? slot.Entry : null;

    /// <summary>Every grant in force, ordered by name, then fingerprint.</summary>
    public IReadOnlyList<PeerGrant> LiveGrants() =>
        [.. _entries.Values.Where(s => !s.Entry.IsRemoval).Select(s => s.Entry.Grant!)
            .OrderBy(g => g.Name, StringComparer.Ordinal).ThenBy(g => g.Fingerprint.ToString(), StringComparer.Ordinal)];

    /// <summary>Every entry, tombstones included, in fingerprint order: what a full pull returns.</summary>
    public IReadOnlyList<GrantEntry> Export() =>
        [.. _entries.Values.Select(s => s.Entry).OrderBy(e => e.Fingerprint.ToString(), StringComparer.Ordinal)];

    /// <summary>
    /// The entries this ledger stored after its <see cref="GrantDigest.Version"/> was
    /// <paramref name="version"/> (and still holds), oldest first: an incremental pull. Pass 0, or
    /// use <see cref="Export"/>, when the puller has nothing from this <see cref="Epoch"/>.
    /// </summary>
    public IReadOnlyList<GrantEntry> Since(long version) =>
        [.. _entries.Values.Where(s => s.Sequence > version).OrderBy(s => s.Sequence).Select(s => s.Entry)];

    /// <summary>The digest to gossip; recomputed only after a change.</summary>
    public GrantDigest Digest => _digest ??= ComputeDigest();

    /// <summary>
    /// Takes in an edit of <c>authorized_peers</c>: compares <paramref name="fileGrants"/> with the
    /// baseline (the grants the file was last known to hold; the grants in force when unknown) and
    /// stamps a new entry (this member's origin, the next clock reading) for each grant added or
    /// changed and a tombstone for each removed, unless the ledger already says exactly that. The
    /// baseline becomes <paramref name="fileGrants"/>.
    /// </summary>
    /// <returns>The new entries, to gossip; empty when the file says nothing new.</returns>
    /// <exception cref="ArgumentException">A fingerprint appears twice, or a grant <see cref="PeerGrant.Validate"/> refuses.</exception>
    public IReadOnlyList<GrantEntry> ObserveLocal(IReadOnlyList<PeerGrant> fileGrants)
    {
        var file = ToMap(fileGrants);
        var before = _baseline ?? _entries.Values.Where(s => !s.Entry.IsRemoval).ToDictionary(s => s.Entry.Fingerprint, s => s.Entry.Grant!);
        var made = new List<GrantEntry>();
        foreach (var (fp, grant) in file)
        {
            string line = GrantEntry.Canonical(grant).ToLine();
            if ((!before.TryGetValue(fp, out var old) || GrantEntry.Canonical(old).ToLine() != line) && Find(fp)?.ToLine() != line)
            {
                made.Add(new GrantEntry(fp, Clock.Next(), Origin, grant));
            }
        }

        foreach (var fp in before.Keys)
        {
            if (!file.ContainsKey(fp) && Find(fp) is not null)
            {
                made.Add(new GrantEntry(fp, Clock.Next(), Origin, null));
            }
        }

        foreach (var entry in made)
        {
            Store(entry);
        }

        _baseline = file;
        Purge();
        return made;
    }

    /// <summary>
    /// Adopts <paramref name="fileGrants"/> when this member has no ledger state (its first start in a
    /// cluster, or a lost or corrupt <c>cluster_grants</c>): each grant for a fingerprint the ledger
    /// knows nothing of becomes an entry stamped 0, the oldest possible, so that it is in force and
    /// spreads, but any change the cluster made (a newer grant, a removal) overrides it. The baseline
    /// becomes <paramref name="fileGrants"/>.
    /// </summary>
    /// <returns>The new entries, to gossip.</returns>
    public IReadOnlyList<GrantEntry> Adopt(IReadOnlyList<PeerGrant> fileGrants)
    {
        var file = ToMap(fileGrants);
        var made = new List<GrantEntry>();
        foreach (var (fp, grant) in file)
        {
            if (!_entries.ContainsKey(fp))
            {
                var entry = new GrantEntry(fp, 0, Origin, grant);
                Store(entry);
                made.Add(entry);
            }
        }

        _baseline = file;
        return made;
    }

    /// <summary>
    /// Merges entries from other members (or this one's own, again): each replaces the held entry
    /// for its fingerprint when it wins (<see cref="GrantEntry.Compare"/>). Entries stamped more than
    /// <see cref="GrantLedgerOptions.MaxClockAhead"/> ahead of the wall clock are refused.
    /// </summary>
    /// <returns>The grants in force that changed, and how many entries were refused.</returns>
    public (IReadOnlyList<GrantChange> Changes, int Refused) Merge(IEnumerable<GrantEntry> entries)
    {
        long limit = Clock.WallMilliseconds + (long)Options.MaxClockAhead.TotalMilliseconds;
        var before = new Dictionary<Fingerprint, PeerGrant?>();
        int refused = 0;
        foreach (var entry in entries)
        {
            if (entry.Timestamp > limit)
            {
                refused++;
                continue;
            }

            Clock.Observe(entry.Timestamp);
            _entries.TryGetValue(entry.Fingerprint, out var held);
            if (held is not null && GrantEntry.Compare(entry, held.Entry) <= 0)
            {
                continue;
            }

            before.TryAdd(entry.Fingerprint, held?.Entry.Grant);
            Store(entry);
        }

        Purge();
        var changes = new List<GrantChange>();
        foreach (var (fp, old) in before)
        {
            var now = Find(fp);
            if (old?.ToLine() != now?.ToLine())
            {
                changes.Add(new GrantChange(fp, old, now));
            }
        }

        return (changes, refused);
    }

    /// <summary>Records that <c>authorized_peers</c> now holds <paramref name="grants"/> (after writing it, or finding it so).</summary>
    public void MarkRendered(IReadOnlyList<PeerGrant> grants) => _baseline = ToMap(grants);

    /// <summary>
    /// Drops tombstones older than <see cref="GrantLedgerOptions.TombstoneLifetime"/>, then the
    /// oldest beyond <see cref="GrantLedgerOptions.MaxTombstones"/>.
    /// </summary>
    /// <returns>How many were dropped.</returns>
    public int Purge()
    {
        long horizon = Clock.WallMilliseconds - (long)Options.TombstoneLifetime.TotalMilliseconds;
        var tombstones = _entries.Values.Where(s => s.Entry.IsRemoval).Select(s => s.Entry).ToList();
        var drop = tombstones.Where(e => e.Timestamp < horizon).ToList();
        int excess = tombstones.Count - drop.Count - Options.MaxTombstones;
        if (excess > 0)
        {
            var dropped = drop.ToHashSet();
            var remaining = tombstones.Where(e => !dropped.Contains(e)).ToList();
            remaining.Sort(GrantEntry.Compare);
            drop.AddRange(remaining.Take(excess));
        }

        foreach (var entry in drop)
        {
            _entries.Remove(entry.Fingerprint);
        }

        if (drop.Count > 0)
        {
            _digest = null;
        }

        return drop.Count;
    }

    /// <summary>Puts back state read from the ledger's file: its entries, clock and baseline.</summary>
    internal void Restore(IReadOnlyList<GrantEntry> entries, long clock, IReadOnlyList<PeerGrant>? baseline)
    {
        foreach (var entry in entries)
        {
            if (!_entries.TryGetValue(entry.Fingerprint, out var held) || GrantEntry.Compare(entry, held.Entry) > 0)
            {
                Store(entry);
            }

            Clock.Observe(entry.Timestamp);
        }

        Clock.Observe(clock);
        _baseline = baseline is null ? null : ToMap(baseline);
        Purge();
    }

    private void Store(GrantEntry entry)
    {
        _entries[entry.Fingerprint] = new Slot(entry, ++_version);
        _digest = null;
    }

    private GrantDigest ComputeDigest()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var entry in Export())
        {
            hash.AppendData(Encoding.UTF8.GetBytes(GrantCodec.EntryLine(entry) + "\n"));
        }

        return new GrantDigest(Epoch, _version, _entries.Count, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static Dictionary<Fingerprint, PeerGrant> ToMap(IReadOnlyList<PeerGrant> grants)
    {
        var map = new Dictionary<Fingerprint, PeerGrant>(grants.Count);
        foreach (var grant in grants)
        {
            if (grant.Validate() is { } problem)
            {
                throw new ArgumentException(problem, nameof(grants));
            }

            if (!map.TryAdd(grant.Fingerprint, GrantEntry.Canonical(grant)))
            {
                throw new ArgumentException($"fingerprint {grant.Fingerprint} appears twice", nameof(grants));
            }
        }

        return map;
    }

    private sealed record Slot(GrantEntry Entry, long Sequence);
}
