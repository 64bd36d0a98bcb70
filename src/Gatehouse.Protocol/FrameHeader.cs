namespace Gatehouse.Protocol;

/// <summary>
/// The 9-byte header in front of every frame (docs/protocol.md section 2):
/// <code>
/// +-----------------------------------------------+---------------+
/// |                 Length (24)                   |   Type (8)    |
/// +---------------+---------------+---------------+---------------+
/// |   Flags (8)   |R|                 Stream Id (31)              |
/// +---------------+-+---------------------------------------------+
/// </code>
/// </summary>
public readonly record struct FrameHeader(int Length, FrameType Type, FrameFlags Flags, uint StreamId)
{
    /// <summary>Size of the header on the wire.</summary>
    public const int Size = 9;

    /// <summary>True when <paramref name="flag"/> is set.</summary>
    public bool Has(FrameFlags flag) => (Flags & flag) == flag;
}
