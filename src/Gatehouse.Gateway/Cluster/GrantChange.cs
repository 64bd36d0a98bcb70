using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Cluster;

/// <summary>How one fingerprint's grant in force changed.</summary>
/// <param name="Fingerprint">The identity.</param>
/// <param name="Before">Its grant before (null: it had none).</param>
/// <param name="After">Its grant now (null: revoked).</param>
public sealed record GrantChange(Fingerprint Fingerprint, PeerGrant? Before, PeerGrant? After)
{
    /// <summary>True when the identity had a grant and now has none.</summary>
    public bool Revoked => Before is not null && After is null;

    /// <summary>True when the identity held <paramref name="role"/> before and does not now (revoked, or the role taken away).</summary>
    public bool Lost(PeerRoles role) => Before?.Has(role) == true && After?.Has(role) != true;
}

/// <summary>What a <see cref="GrantSync"/> step did.</summary>
/// <param name="LocalEntries">New entries made from local edits of <c>authorized_peers</c>: gossip them to the other members.</param>
/// <param name="Changes">Grants in force that changed (drop a revoked gateway's datagram keys, GOAWAY changed sessions).</param>
/// <param name="Refused">Remote entries refused (stamped too far in the future; see <see cref="GrantLedgerOptions.MaxClockAhead"/>).</param>
/// <param name="Error">One line when a file could not be read or written (retried at the next step), else null.</param>
public sealed record GrantSyncResult(IReadOnlyList<GrantEntry> LocalEntries, IReadOnlyList<GrantChange> Changes, int Refused, string? Error)
{
    /// <summary>Nothing happened.</summary>
    public static GrantSyncResult None { get; } = new([], [], 0, null);

    /// <summary>The fingerprints whose grants were revoked.</summary>
    public IEnumerable<Fingerprint> Revoked => Changes.Where(c => c.Revoked).Select(c => c.Fingerprint);
}
