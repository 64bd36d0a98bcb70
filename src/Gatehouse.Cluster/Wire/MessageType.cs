namespace Gatehouse.Cluster.Wire;

/// <summary>
/// The first byte of every membership message (docs/protocol.md, section 8). Messages travel inside
/// a sealed datagram; several may share one datagram as a <see cref="Compound"/>.
/// </summary>
public enum MessageType : byte
{
    /// <summary>Are you alive? Answered with <see cref="Ack"/>.</summary>
    Ping = 0x01,

    /// <summary>Please probe a member on my behalf and tell me (ack, or nack if it did not answer).</summary>
    IndirectPing = 0x02,

    /// <summary>The answer to a ping, or to an indirect ping whose target answered.</summary>
    Ack = 0x03,

    /// <summary>An indirect probe's target did not answer the helper in time.</summary>
    Nack = 0x04,

    /// <summary>A member is alive at an incarnation, with its address and metadata.</summary>
    Alive = 0x05,

    /// <summary>A member is suspected of having failed, by another member.</summary>
    Suspect = 0x06,

    /// <summary>A member is declared failed.</summary>
    Dead = 0x07,

    /// <summary>A member left the cluster on purpose.</summary>
    Leave = 0x08,

    /// <summary>Several messages in one datagram.</summary>
    Compound = 0x09,
}
