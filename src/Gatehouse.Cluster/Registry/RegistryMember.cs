using Gatehouse.Cluster.Membership;

namespace Gatehouse.Cluster.Registry;

/// <summary>
/// A member as the registry knows it.
/// </summary>
/// <param name="Id">Its id: the gateway's fingerprint.</param>
/// <param name="Address">Where other members reach it (<c>HOST:PORT</c>, the gateway's TLS listener).</param>
/// <param name="State">Alive or suspect (gossip only), dead or left (gossip only, until forgotten). A member held in etcd is alive: a crashed one's key is gone once its lease expired.</param>
/// <param name="Load">Its requests in flight, as it last published them.</param>
/// <param name="RemctlPort">The port of its remctl-compatible listener, if it has one.</param>
/// <param name="Version">The Gatehouse version it runs (empty when unknown).</param>
/// <param name="Metadata">Anything else it published (host name, route-list version and hash, ...).</param>
public sealed record RegistryMember(string Id, string Address, MemberState State, long Load, int? RemctlPort, string Version, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>True when requests may be sent to it (alive or suspect).</summary>
    public bool IsLive => State is MemberState.Alive or MemberState.Suspect;
}

/// <summary>What this member publishes about itself.</summary>
/// <param name="Address">Where other members reach it (<c>HOST:PORT</c>).</param>
/// <param name="RemctlPort">Its remctl-compatible listener's port, if any.</param>
/// <param name="Load">Its requests in flight.</param>
/// <param name="Version">The Gatehouse version it runs.</param>
/// <param name="Metadata">Anything else (small: the whole record is at most <see cref="MaxBytes"/> bytes in etcd).</param>
public sealed record LocalMember(string Address, int? RemctlPort, long Load, string Version, IReadOnlyDictionary<string, string>? Metadata = null)
{
    /// <summary>Most bytes of one member record as stored.</summary>
    public const int MaxBytes = 4096;
}

/// <summary>A member's route list: its version and the list itself, opaque to the registry (the gateway's route-list JSON).</summary>
/// <param name="Version">Raised by the member on every change of its route table.</param>
/// <param name="Payload">The list (at most <see cref="MaxBytes"/>).</param>
public sealed record MemberRoutes(long Version, ReadOnlyMemory<byte> Payload)
{
    /// <summary>Most bytes of one route list (etcd's default request limit is 1.5 MiB).</summary>
    public const int MaxBytes = 1024 * 1024;
}
