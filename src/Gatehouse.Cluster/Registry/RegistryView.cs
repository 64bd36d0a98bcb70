using System.Collections.Immutable;

namespace Gatehouse.Cluster.Registry;

/// <summary>
/// One immutable snapshot of the registry: the members (this one included), the route list of each
/// member that published one, and the cluster-wide grants (fingerprint to <c>authorized_peers</c>
/// line). <see cref="Revision"/> is the store's revision the snapshot reflects (etcd's; gossip counts
/// changes).
/// </summary>
public sealed record RegistryView(
    ImmutableDictionary<string, RegistryMember> Members,
    ImmutableDictionary<string, MemberRoutes> Routes,
    ImmutableDictionary<string, string> Grants,
    long Revision)
{
    /// <summary>No members, routes or grants.</summary>
    public static RegistryView Empty { get; } = new(
        ImmutableDictionary.Create<string, RegistryMember>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, MemberRoutes>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, string>(StringComparer.Ordinal),
        0);

    /// <summary>The members other than <paramref name="localId"/> that are alive or suspect.</summary>
    public IEnumerable<RegistryMember> LiveOthers(string localId) => Members.Values.Where(m => m.IsLive && m.Id != localId);
}

/// <summary>What changed in the view.</summary>
/// <param name="Kind">Member, routes or grant.</param>
/// <param name="Id">The member or grant's fingerprint; empty for <see cref="RegistryChangeKind.Resynchronized"/>.</param>
/// <param name="Removed">True when it went away.</param>
public sealed record RegistryChange(RegistryChangeKind Kind, string Id, bool Removed);

/// <summary>What a <see cref="RegistryChange"/> is about.</summary>
public enum RegistryChangeKind
{
    /// <summary>A member's record.</summary>
    Member,

    /// <summary>A member's route list.</summary>
    Routes,

    /// <summary>A cluster-wide grant.</summary>
    Grant,

    /// <summary>The whole view was read again (at start, after the store returned, after a compaction).</summary>
    Resynchronized,
}

/// <summary>Whether the store is reachable.</summary>
/// <param name="Up">True when the last operation on the store worked.</param>
/// <param name="Since">When it last changed.</param>
/// <param name="Reason">Why it is down (one line), or null when up.</param>
public sealed record RegistryHealth(bool Up, DateTimeOffset Since, string? Reason)
{
    /// <summary>One line for <c>/readyz</c> and the log: <c>registry etcd: up</c>, <c>registry etcd: down since ... (reason); serving from the last view</c>.</summary>
    public string Describe(string kind) => Up
        ? $"registry {kind}: up"
        : $"registry {kind}: down since {Since.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} ({Reason}); serving from the last view";
}

/// <summary>The registry's store cannot be reached now (a write that needs it failed).</summary>
public sealed class RegistryUnavailableException : Exception
{
    /// <summary>Creates one.</summary>
    public RegistryUnavailableException()
    {
    }

    /// <summary>Creates one with a message.</summary>
    public RegistryUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates one with a message and its cause.</summary>
    public RegistryUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
