namespace Gatehouse.Gateway.Cluster;

/// <summary>
/// A small summary of a member's grant ledger, cheap to gossip in its member metadata. Two members
/// whose <see cref="Hash"/> differs know to pull: the puller asks the other for
/// <see cref="GrantLedger.Since"/>(the <see cref="Version"/> it last pulled from it in the same
/// <see cref="Epoch"/>, else 0), then merges the answer.
/// </summary>
/// <param name="Epoch">Random per ledger instance (each gateway start): versions of different epochs are not comparable.</param>
/// <param name="Version">Counts the entries this ledger stored since it was loaded (local, increases only).</param>
/// <param name="Entries">Entries held, tombstones included.</param>
/// <param name="Hash">SHA-256 (lower-case hex) over every entry, tombstones included, in fingerprint order: equal hashes mean equal ledgers.</param>
public sealed record GrantDigest(long Epoch, long Version, int Entries, string Hash);
