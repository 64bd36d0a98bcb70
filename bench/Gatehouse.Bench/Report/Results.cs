namespace Gatehouse.Bench.Report;

/// <summary>CPU used by one process during one measured scenario (median over repetitions).</summary>
/// <param name="Seconds">CPU-seconds (user + system).</param>
/// <param name="PercentOfCore">Seconds / wall time x 100.</param>
public sealed record CpuFigure(string Role, double Seconds, double PercentOfCore);

/// <summary>All repetitions of one scenario on one system.</summary>
/// <param name="Repetitions">Each measured repetition (empty when the scenario failed or is n/a).</param>
/// <param name="Cpu">CPU per process, medians, in the system's process order.</param>
/// <param name="Error">Why it failed, or null.</param>
public sealed record ScenarioResult(IReadOnlyList<Load.Measurement> Repetitions, IReadOnlyList<CpuFigure> Cpu, string? Error)
{
    /// <summary>The median of <paramref name="extract"/> over repetitions, or NaN.</summary>
    public double Median(Func<Load.Measurement, double> extract) => Stats.Median(Repetitions.Select(extract));
}

/// <summary>One system's outcome: unavailable (with the reason) or a result per scenario id.</summary>
public sealed record SystemResult(string Id, string Title, IReadOnlyList<string> Roles, string? Unavailable, IReadOnlyDictionary<string, ScenarioResult> Scenarios);

/// <summary>Small statistics helpers.</summary>
public static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).Order().ToArray();
        if (v.Length == 0)
        {
            return double.NaN;
        }

        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }
}
