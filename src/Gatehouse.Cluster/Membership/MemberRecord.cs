using System.Net;

namespace Gatehouse.Cluster.Membership;

/// <summary>The node's mutable record of one member; touched only under the node's lock.</summary>
internal sealed class MemberRecord
{
    public MemberRecord(string id, IPEndPoint address, uint incarnation, MemberState state, ReadOnlyMemory<byte> metadata, DateTimeOffset changedAt)
    {
        Id = id;
        Address = address;
        Incarnation = incarnation;
        State = state;
        Metadata = metadata;
        ChangedAt = changedAt;
    }

    public string Id { get; }

    public IPEndPoint Address { get; set; }

    public uint Incarnation { get; set; }

    public MemberState State { get; set; }

    public ReadOnlyMemory<byte> Metadata { get; set; }

    public DateTimeOffset ChangedAt { get; set; }

    /// <summary>The running suspicion while <see cref="State"/> is suspect.</summary>
    public Suspicion? Suspicion { get; set; }

    /// <summary>True once "UDP blocked, reliable path works" was logged for this member (cleared when UDP answers again).</summary>
    public bool UdpBlockedLogged { get; set; }

    public bool IsLive => State is MemberState.Alive or MemberState.Suspect;

    public MemberSnapshot Snapshot() => new(Id, Address, Incarnation, State, Metadata, ChangedAt);
}
