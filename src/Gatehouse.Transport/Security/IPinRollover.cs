using Gatehouse.Transport.Connections;

namespace Gatehouse.Transport.Security;

/// <summary>
/// Where a peer keeps the successors its pinned gateways announced (docs/security.md, "Key
/// rotation"): <see cref="KnownHosts"/> for clients, memory for a service. Every statement handed to
/// it was verified first (signed by the pinned key and by the successor).
/// </summary>
public interface IPinRollover
{
    /// <summary>The successor announced for <paramref name="endpoint"/>'s pinned key, if any.</summary>
    Fingerprint? Successor(Endpoint endpoint);

    /// <summary>The gateway pinned at <paramref name="endpoint"/> as <paramref name="current"/> announced <paramref name="next"/>.</summary>
    void RecordSuccessor(Endpoint endpoint, Fingerprint current, Fingerprint next);

    /// <summary>The gateway now presents <paramref name="next"/>: pin it alone.</summary>
    void Promote(Endpoint endpoint, Fingerprint next);
}
