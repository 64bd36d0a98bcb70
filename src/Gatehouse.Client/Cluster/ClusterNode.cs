using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Client.Cluster;

/// <summary>
/// One node of a cluster: a display name (what output is gathered under), the gateway endpoint, and
/// optionally the pinned certificate fingerprint (seed 000: the cluster configuration often holds only
/// the fingerprint). A null <paramref name="Pin"/> falls back to <see cref="ClusterClientOptions.Pins"/>.
/// </summary>
public sealed record ClusterNode(string Name, Endpoint Endpoint, Fingerprint? Pin = null)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}
