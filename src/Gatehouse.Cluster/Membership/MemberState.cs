namespace Gatehouse.Cluster.Membership;

/// <summary>What a member believes of another member.</summary>
public enum MemberState
{
    /// <summary>Answering probes (or vouched for at its latest incarnation).</summary>
    Alive = 0,

    /// <summary>A probe failed; it is dead unless it refutes before its suspicion ends.</summary>
    Suspect = 1,

    /// <summary>Its suspicion ended without a refutation.</summary>
    Dead = 2,

    /// <summary>It left on purpose.</summary>
    Left = 3,
}
