namespace Gatehouse.Cluster.Registry;

/// <summary>
/// Where a gateway learns who its fellow members are, what each one serves and which grants hold
/// cluster-wide, and where it publishes its own record. Two implementations: the built-in gossip
/// membership (SWIM over UDP, route lists pulled over TLS; the default) and an etcd cluster (leases,
/// watches; <c>Gatehouse.Cluster.Etcd</c>). Routing, forwarding and the admin commands read only a
/// <see cref="RegistryView"/>, so they work the same on either.
/// </summary>
/// <remarks>
/// Thread-safe. <see cref="View"/> is an immutable snapshot, replaced whole on every change and read
/// without a lock. <see cref="Changed"/> and <see cref="HealthChanged"/> are raised after the view
/// was replaced, on a thread of the implementation: handlers only queue work.
/// </remarks>
public interface IClusterRegistry : IAsyncDisposable
{
    /// <summary>This member's id (the gateway's fingerprint).</summary>
    string LocalId { get; }

    /// <summary>Which store this is (<c>gossip</c>, <c>etcd</c>): for status lines and metrics.</summary>
    string Kind { get; }

    /// <summary>The members, their route lists and the grants as last known (kept while the store is unreachable).</summary>
    RegistryView View { get; }

    /// <summary>Whether the store is reachable now, since when, and why not.</summary>
    RegistryHealth Health { get; }

    /// <summary>The view changed (a member came, went or changed; a route list or a grant changed).</summary>
    event EventHandler<RegistryChange>? Changed;

    /// <summary>The store became unreachable, or reachable again.</summary>
    event EventHandler<RegistryHealth>? HealthChanged;

    /// <summary>
    /// Publishes this member's record (address, remctl port, load, version, metadata). With etcd the
    /// record is written under this member's lease; while the store is unreachable the newest record
    /// is kept and written when it returns.
    /// </summary>
    Task PublishMemberAsync(LocalMember self, CancellationToken cancellationToken = default);

    /// <summary>Publishes this member's route list (opaque to the registry; the gateway's JSON), as <see cref="PublishMemberAsync"/>.</summary>
    Task PublishRoutesAsync(MemberRoutes routes, CancellationToken cancellationToken = default);

    /// <summary>Writes a cluster-wide grant: <paramref name="line"/> is its <c>authorized_peers</c> line.</summary>
    /// <exception cref="RegistryUnavailableException">The store cannot be reached now.</exception>
    Task PutGrantAsync(string fingerprint, string line, CancellationToken cancellationToken = default);

    /// <summary>Removes the cluster-wide grant of <paramref name="fingerprint"/> (nothing if there is none).</summary>
    /// <exception cref="RegistryUnavailableException">The store cannot be reached now.</exception>
    Task RemoveGrantAsync(string fingerprint, CancellationToken cancellationToken = default);
}
