namespace Gatehouse.Cluster.Wire;

/// <summary>Flags of an indirect ping.</summary>
[Flags]
public enum IndirectPingFlags : byte
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>Answer with a nack when the target does not answer in time (Lifeguard's local health uses it).</summary>
    WantNack = 0x01,
}
