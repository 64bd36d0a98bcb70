namespace Gatehouse.Cluster.Soak.Report;

/// <summary>
/// One row of the result table: a measured value (null when it could not be measured, e.g. no
/// samples or a timeout), its unit, and the target it is held to (none for context rows).
/// </summary>
internal sealed record Figure(string Id, string Title, double? Value, string Unit, double? Target, string? TargetText, string? Note = null)
{
    /// <summary>Met, missed, or null for a context row (no target).</summary>
    public bool? Pass => Target is { } t ? Value is { } v && v <= t : null;

    public string Verdict => Pass switch
    {
        true => "pass",
        false => "MISSED",
        null => string.Empty,
    };
}
