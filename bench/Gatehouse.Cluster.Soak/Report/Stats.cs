namespace Gatehouse.Cluster.Soak.Report;

/// <summary>Percentiles of a sample (nearest rank).</summary>
internal static class Stats
{
    /// <summary>The <paramref name="p"/>-th percentile (0..100) by nearest rank; null for no samples.</summary>
    public static double? Percentile(IReadOnlyCollection<double> samples, double p)
    {
        if (samples.Count == 0)
        {
            return null;
        }

        var sorted = samples.Order().ToArray();
        int rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double? Max(IReadOnlyCollection<double> samples) => samples.Count == 0 ? null : samples.Max();
}
