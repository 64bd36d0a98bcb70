namespace Gatehouse.Cluster.Wire;

/// <summary>Hard limits of the membership wire format (docs/protocol.md, section 8).</summary>
public static class WireLimits
{
    /// <summary>No datagram, sealed header and tag included, is larger than this.</summary>
    public const int MaxDatagramBytes = 1200;

    /// <summary>Longest member id in UTF-8 bytes.</summary>
    public const int MaxMemberIdBytes = 64;

    /// <summary>Largest metadata record a member may gossip.</summary>
    public const int MaxMetadataBytes = 512;

    /// <summary>Most parts in one compound message (the count is one byte).</summary>
    public const int MaxCompoundParts = 255;

    /// <summary>Bytes a compound adds before its parts: type and count.</summary>
    public const int CompoundHeaderBytes = 2;

    /// <summary>Bytes a compound adds per part: the part's 16-bit length.</summary>
    public const int CompoundPartOverhead = 2;
}
