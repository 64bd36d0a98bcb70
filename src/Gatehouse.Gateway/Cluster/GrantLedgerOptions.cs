namespace Gatehouse.Gateway.Cluster;

/// <summary>Limits of the cluster's grant ledger (docs/cluster.md, "Grants across the cluster").</summary>
public sealed record GrantLedgerOptions
{
    /// <summary>
    /// How long a removal (tombstone) is kept, so that a member that was down cannot bring the grant
    /// back: 30 days. A member down for longer must have its <c>cluster_grants</c> file deleted
    /// before it rejoins (its <c>authorized_peers</c> is then adopted as the oldest knowledge, which
    /// every newer change overrides).
    /// </summary>
    public TimeSpan TombstoneLifetime { get; init; } = TimeSpan.FromDays(30);

    /// <summary>At most this many tombstones are kept (10,000); beyond it the oldest are dropped first.</summary>
    public int MaxTombstones { get; init; } = 10_000;

    /// <summary>
    /// An entry stamped more than this far ahead of the local wall clock (1 day) is refused and
    /// counted, not merged: a member whose clock is that far off must fix it, and one bad clock must
    /// not drag every member's clock (and every later change) into the future.
    /// </summary>
    public TimeSpan MaxClockAhead { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Checks every limit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit outside its range, named.</exception>
    public GrantLedgerOptions Validate()
    {
        if (TombstoneLifetime < TimeSpan.FromMinutes(1) || TombstoneLifetime > TimeSpan.FromDays(3650))
        {
            throw new ArgumentOutOfRangeException(nameof(TombstoneLifetime), TombstoneLifetime, "between 1 minute and 3650 days");
        }

        if (MaxTombstones is < 1 or > GrantCodec.MaxEntries)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTombstones), MaxTombstones, $"between 1 and {GrantCodec.MaxEntries}");
        }

        if (MaxClockAhead < TimeSpan.FromSeconds(1) || MaxClockAhead > TimeSpan.FromDays(365))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxClockAhead), MaxClockAhead, "between 1 second and 365 days");
        }

        return this;
    }
}
