namespace Gatehouse.Gateway.Audit;

/// <summary>Where audit records go.</summary>
public enum AuditDestination
{
    /// <summary>Nowhere: no records are made.</summary>
    Off,

    /// <summary>The gateway's log (category <c>Gatehouse.Audit</c>, level Information; one structured entry per request).</summary>
    Log,

    /// <summary>Their own file, one JSON object per line (<see cref="AuditOptions.Path"/>).</summary>
    File,
}

/// <summary>The audit trail's settings (docs/operations.md, "Audit trail").</summary>
public sealed record AuditOptions
{
    /// <summary>Where records go; off by default (the Debian package's configuration turns it on, to a file).</summary>
    public AuditDestination Destination { get; init; } = AuditDestination.Off;

    /// <summary>The file for <see cref="AuditDestination.File"/> (appended to; reopened on reload, for log rotation).</summary>
    public string? Path { get; init; }

    /// <summary>Records waiting to be written; past this they are dropped and counted (gatehouse_audit_dropped_total), never waited for.</summary>
    public int QueueLength { get; init; } = 65_536;

    /// <summary>Longest command line kept in a record (arguments past it are cut, marked with "...").</summary>
    public int MaxCommandLength { get; init; } = 4096;

    /// <summary>Throws <see cref="ArgumentException"/> naming a bad value.</summary>
    public AuditOptions Validate()
    {
        if (Destination == AuditDestination.File && string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("Audit:Path is needed when Audit:Destination is file");
        }

        if (QueueLength is < 16 or > 10_000_000)
        {
            throw new ArgumentException($"Audit:QueueLength must be 16..10000000, not {QueueLength}");
        }

        if (MaxCommandLength is < 64 or > 1_048_576)
        {
            throw new ArgumentException($"Audit:MaxCommandLength must be 64..1048576, not {MaxCommandLength}");
        }

        return this;
    }
}
