namespace Gatehouse.Cluster.Security;

/// <summary>What <see cref="DatagramSecurity.Open"/> made of a datagram. Anything but <see cref="Ok"/> is dropped and counted.</summary>
public enum OpenResult
{
    /// <summary>Authenticated, fresh, decrypted.</summary>
    Ok = 0,

    /// <summary>Too short, wrong version, bad sender id, or larger than a datagram may be.</summary>
    Malformed,

    /// <summary>No key is installed for the sender.</summary>
    UnknownSender,

    /// <summary>The sender was removed (its grant revoked); its datagrams are dropped until new keys are installed.</summary>
    Revoked,

    /// <summary>The sender is known but the key id is neither installed nor retired (a key not yet delivered).</summary>
    UnknownKey,

    /// <summary>The key id is one the sender has rotated away from.</summary>
    StaleKey,

    /// <summary>The authentication tag did not verify: forged, corrupted, or sealed under another key.</summary>
    Forged,

    /// <summary>The counter was seen already or is older than the replay window.</summary>
    Replayed,
}
