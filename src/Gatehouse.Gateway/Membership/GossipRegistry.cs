using System.Collections.Immutable;
using Gatehouse.Cluster.Membership;
using Gatehouse.Cluster.Registry;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Membership;

/// <summary>
/// The built-in gossip membership seen as an <see cref="IClusterRegistry"/> (issue 21): the same
/// members, route lists and grants that <see cref="ClusterMembership"/> holds, in the registry's
/// terms. Nothing about gossip changes: this adapter only reads it and forwards writes to it.
/// </summary>
/// <remarks>
/// <para>The view is built when read (admin commands, status), from the node's member list, the
/// pulled route lists and the grant ledger; the per-request paths (forwarding, locators) keep
/// reading <see cref="ClusterMembership.LiveMembers"/> and <see cref="ClusterMembership.RemoteRoutes"/>.</para>
/// <para>Gossip has no central store that could be out of reach: <see cref="Health"/> is always up.
/// A member's record and route list come from the gateway itself (route table, requests in flight):
/// <see cref="PublishMemberAsync"/> and <see cref="PublishRoutesAsync"/> only make it gossip its
/// record again now.</para>
/// </remarks>
internal sealed class GossipRegistry : IClusterRegistry
{
    private readonly ClusterMembership _membership;
    private readonly RegistryHealth _health = new(true, DateTimeOffset.UtcNow, null);
    private long _changes;

    public GossipRegistry(ClusterMembership membership)
    {
        _membership = membership;
        membership.RegistryChanged += (_, change) =>
        {
            Interlocked.Increment(ref _changes);
            Changed?.Invoke(this, change);
        };
    }

    public string LocalId => _membership.Id;

    public string Kind => "gossip";

    public RegistryHealth Health => _health;

    public event EventHandler<RegistryChange>? Changed;

    // Never raised: gossip is never "unreachable".
    public event EventHandler<RegistryHealth>? HealthChanged
    {
        add { }
        remove { }
    }

    public RegistryView View
    {
        get
        {
            var members = ImmutableDictionary.CreateBuilder<string, RegistryMember>(StringComparer.Ordinal);
            foreach (var m in _membership.Members)
            {
                members[m.Id] = ToMember(m);
            }

            var routes = ImmutableDictionary.CreateBuilder<string, MemberRoutes>(StringComparer.Ordinal);
            foreach (var (id, list) in _membership.RemoteRoutes.Snapshot)
            {
                routes[id] = new MemberRoutes(list.Version, list.ToUtf8());
            }

            if (members.ContainsKey(LocalId))
            {
                var own = _membership.LocalRoutes();
                routes[LocalId] = new MemberRoutes(own.Version, own.ToUtf8());
            }

            var grants = _membership.CurrentGrants().ToImmutableDictionary(g => g.Fingerprint.ToString(), g => g.ToLine(), StringComparer.Ordinal);
            return new RegistryView(members.ToImmutable(), routes.ToImmutable(), grants, Interlocked.Read(ref _changes));
        }
    }

    /// <summary>A gossiped member in the registry's terms: its metadata record's fields become metadata entries.</summary>
    internal static RegistryMember ToMember(MemberSnapshot m)
    {
        var meta = MemberMetadata.TryParse(m.Metadata.Span);
        var extra = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (meta is not null)
        {
            extra["host"] = meta.Host;
            extra["routesVersion"] = meta.RoutesVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
            extra["routes"] = meta.Routes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (meta.RoutesHash is not null)
            {
                extra["routesHash"] = meta.RoutesHash;
            }

            if (meta.Grants is not null)
            {
                extra["grants"] = meta.Grants;
            }
        }

        extra["incarnation"] = m.Incarnation.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new RegistryMember(m.Id, m.Address.ToString(), m.State, meta?.InFlight ?? 0, meta?.RemctlPort, "", extra.ToImmutable());
    }

    public Task PublishMemberAsync(LocalMember self, CancellationToken cancellationToken = default)
    {
        _membership.RegossipMetadata();
        return Task.CompletedTask;
    }

    public Task PublishRoutesAsync(MemberRoutes routes, CancellationToken cancellationToken = default)
    {
        _membership.RegossipMetadata();
        return Task.CompletedTask;
    }

    /// <summary>Writes the grant into this gateway's authorized_peers; the grant ledger spreads it to every member (as <c>gatehouse authorize</c> does).</summary>
    /// <exception cref="FormatException"><paramref name="line"/> is not a valid authorized_peers line.</exception>
    /// <exception cref="ArgumentException">The line grants another fingerprint than <paramref name="fingerprint"/>.</exception>
    public Task PutGrantAsync(string fingerprint, string line, CancellationToken cancellationToken = default)
    {
        var grant = AuthorizedPeers.ParseLine(line, "grant", 1);
        if (grant.Fingerprint.ToString() != fingerprint)
        {
            throw new ArgumentException($"the line grants {grant.Fingerprint}, not {fingerprint}", nameof(line));
        }

        _membership.GrantHere(grant);
        return Task.CompletedTask;
    }

    /// <summary>Removes the grant from this gateway's authorized_peers; the ledger spreads the removal.</summary>
    /// <exception cref="FormatException"><paramref name="fingerprint"/> is not a fingerprint.</exception>
    public Task RemoveGrantAsync(string fingerprint, CancellationToken cancellationToken = default)
    {
        if (!Fingerprint.TryParse(fingerprint, out var fp))
        {
            throw new FormatException($"'{fingerprint}' is not a fingerprint (SHA256:base64)");
        }

        _membership.RemoveGrantHere(fp);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the membership is the gateway's to dispose
}
