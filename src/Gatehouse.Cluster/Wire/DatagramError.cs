namespace Gatehouse.Cluster.Wire;

/// <summary>Why a membership message body could not be decoded. Hostile input ends here, never in an exception.</summary>
public enum DatagramError
{
    /// <summary>The body decoded.</summary>
    None = 0,

    /// <summary>No bytes at all.</summary>
    Empty,

    /// <summary>A field runs past the end of the body (or of its compound part).</summary>
    Truncated,

    /// <summary>The type byte names no message type.</summary>
    UnknownType,

    /// <summary>A member id is empty or longer than <see cref="WireLimits.MaxMemberIdBytes"/>.</summary>
    MemberIdLength,

    /// <summary>A member id is not valid UTF-8.</summary>
    MemberIdEncoding,

    /// <summary>An address family byte other than 4 or 6.</summary>
    AddressFamily,

    /// <summary>Metadata longer than <see cref="WireLimits.MaxMetadataBytes"/>.</summary>
    MetadataTooLarge,

    /// <summary>A compound inside a compound.</summary>
    NestedCompound,

    /// <summary>A compound with no parts.</summary>
    CompoundEmpty,

    /// <summary>Bytes left over after a message (or after the last compound part).</summary>
    TrailingBytes,

    /// <summary>The body is larger than any datagram may be.</summary>
    TooLarge,

    /// <summary>Unknown flag bits are set.</summary>
    UnknownFlags,
}
