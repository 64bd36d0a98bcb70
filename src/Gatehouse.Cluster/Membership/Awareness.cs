namespace Gatehouse.Cluster.Membership;

/// <summary>
/// Lifeguard's local health: a score from 0 (healthy) to max - 1 that rises when this member misses
/// acks and nacks it should have had, or has to refute, and falls with each successful probe. Probe
/// interval and timeout are multiplied by score + 1, so a struggling member probes less and accuses less.
/// </summary>
internal sealed class Awareness
{
    private readonly int _max;

    public Awareness(int maxMultiplier) => _max = maxMultiplier;

    public int Score { get; private set; }

    public void Apply(int delta) => Score = Math.Clamp(Score + delta, 0, _max - 1);

    public TimeSpan Scale(TimeSpan t) => t * (Score + 1);
}
