namespace Gatehouse.Gateway.Audit;

/// <summary>What served a request, as audit records and metrics name it.</summary>
public enum AuditTarget : byte
{
    /// <summary>Nothing: refused or unknown before a target was found.</summary>
    None,

    /// <summary>The gateway's own commands (the <c>gatehouse</c> domain).</summary>
    Control,

    /// <summary>A service attached to this gateway.</summary>
    Service,

    /// <summary>A remctl.conf exec program.</summary>
    Exec,

    /// <summary>A remctl.conf <c>type=zeromq</c> daemon.</summary>
    ZeroMq,

    /// <summary>Another cluster member (forwarded).</summary>
    Forward,
}

/// <summary>Names of <see cref="AuditTarget"/> values (label values, record fields).</summary>
public static class AuditTargets
{
    /// <summary>The target's name: none, control, service, exec, zeromq, forward.</summary>
    public static string Name(AuditTarget target) => target switch
    {
        AuditTarget.Control => "control",
        AuditTarget.Service => "service",
        AuditTarget.Exec => "exec",
        AuditTarget.ZeroMq => "zeromq",
        AuditTarget.Forward => "forward",
        _ => "none",
    };
}
