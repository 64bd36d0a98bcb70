using System.Net;

namespace Gatehouse.Cluster.Wire;

/// <summary>
/// One decoded membership message. The sender of a message is not in it: the sealed datagram's
/// authenticated header names the sender (docs/protocol.md, section 8).
/// </summary>
public abstract record SwimMessage
{
    private protected SwimMessage() { }

    /// <summary>The type byte of this message.</summary>
    public abstract MessageType Type { get; }
}

/// <summary>A probe of <see cref="TargetId"/>; answered with an ack carrying the same sequence number.</summary>
/// <param name="Sequence">Chosen by the prober; echoed in the ack.</param>
/// <param name="TargetId">The member the prober believes it is probing; anyone else ignores the ping.</param>
public sealed record PingMessage(uint Sequence, string TargetId) : SwimMessage
{
    /// <inheritdoc/>
    public override MessageType Type => MessageType.Ping;
}

/// <summary>A request to probe <see cref="TargetId"/> at <see cref="TargetAddress"/> on the sender's behalf.</summary>
/// <param name="Sequence">The requester's sequence number, echoed in the ack or nack the helper sends back.</param>
/// <param name="Flags">Whether the requester wants a nack when the target does not answer.</param>
/// <param name="TargetId">The member to probe.</param>
/// <param name="TargetAddress">Where to probe it.</param>
public sealed record IndirectPingMessage(uint Sequence, IndirectPingFlags Flags, string TargetId, IPEndPoint TargetAddress) : SwimMessage
{
    /// <inheritdoc/>
    public override MessageType Type => MessageType.IndirectPing;
}

/// <summary>A positive answer to the ping or indirect ping with <see cref="Sequence"/>.</summary>
public sealed record AckMessage(uint Sequence) : SwimMessage
{
    /// <inheritdoc/>
    public override MessageType Type => MessageType.Ack;
}

/// <summary>The helper of the indirect ping with <see cref="Sequence"/> heard nothing from the target in time.</summary>
public sealed record NackMessage(uint Sequence) : SwimMessage
{
    /// <inheritdoc/>
    public override MessageType Type => MessageType.Nack;
}

/// <summary><see cref="MemberId"/> is alive at <see cref="Incarnation"/>, reachable at <see cref="Address"/>.</summary>
/// <param name="Incarnation">Only the member itself raises it; a higher one overrides any older state.</param>
/// <param name="MemberId">The member.</param>
/// <param name="Address">Its datagram address.</param>
/// <param name="Metadata">Its opaque metadata record (at most <see cref="WireLimits.MaxMetadataBytes"/>).</param>
public sealed record AliveMessage(uint Incarnation, string MemberId, IPEndPoint Address, ReadOnlyMemory<byte> Metadata) : SwimMessage
{
    /// <inheritdoc/>
    public override MessageType Type => MessageType.Alive;
}

/// <summary><see cref="FromId"/> suspects <see cref="MemberId"/> at <see cref="Incarnation"/>.</summary>
public sealed record SuspectMessage(uint Incarnation, string MemberId, string FromId) : SwimMessage
{
    /// <inheritdoc/>
    public override MessageType Type => MessageType.Suspect;
}

/// <summary><see cref="FromId"/> declares <see cref="MemberId"/> dead at <see cref="Incarnation"/>.</summary>
public sealed record DeadMessage(uint Incarnation, string MemberId, string FromId) : SwimMessage
{
    /// <inheritdoc/>
    public override MessageType Type => MessageType.Dead;
}

/// <summary><see cref="MemberId"/> left the cluster on purpose at <see cref="Incarnation"/>.</summary>
public sealed record LeaveMessage(uint Incarnation, string MemberId) : SwimMessage
{
    /// <inheritdoc/>
    public override MessageType Type => MessageType.Leave;
}
