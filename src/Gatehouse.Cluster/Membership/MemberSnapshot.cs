using System.Net;

namespace Gatehouse.Cluster.Membership;

/// <summary>One member as a member sees it at one moment; also the unit of full-state exchange.</summary>
/// <param name="Id">The member's id (1 to 64 UTF-8 bytes).</param>
/// <param name="Address">Its datagram address.</param>
/// <param name="Incarnation">Its incarnation number; only it raises it.</param>
/// <param name="State">Alive, suspect, dead or left.</param>
/// <param name="Metadata">Its opaque metadata record.</param>
/// <param name="LastChange">When this member's view of its state last changed (local clock).</param>
public sealed record MemberSnapshot(string Id, IPEndPoint Address, uint Incarnation, MemberState State, ReadOnlyMemory<byte> Metadata, DateTimeOffset LastChange);

/// <summary>A member's state, address or metadata changed.</summary>
/// <param name="Previous">Before the change; null for a member just learned of.</param>
/// <param name="Current">After the change.</param>
public sealed record MemberChange(MemberSnapshot? Previous, MemberSnapshot Current)
{
    /// <summary>Whether the state changed (rather than only metadata or address).</summary>
    public bool StateChanged => Previous is null || Previous.State != Current.State;
}
