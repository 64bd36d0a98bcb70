using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Pipeline.Targets;

/// <summary>What kind of thing serves a request (authorization depends on it).</summary>
public enum TargetKind
{
    /// <summary>The gateway's own commands (the reserved <c>gatehouse</c> domain).</summary>
    Control,

    /// <summary>A service attached to this gateway (the route table).</summary>
    Service,

    /// <summary>A command configured on the gateway (remctl.conf: exec programs, ZeroMQ daemons).</summary>
    Backend,
}

/// <summary>
/// Where the pipeline sends a request once it is authorized. A target runs the request (writes
/// its output through the request, reads its input) and returns the final status; it never sends
/// the status itself (the pipeline does).
/// </summary>
public interface IRequestTarget
{
    /// <summary>What kind of target this is.</summary>
    TargetKind Kind { get; }

    /// <summary>
    /// Runs <paramref name="request"/> and returns how it ended. <paramref name="cancellationToken"/>
    /// fires when the caller cancels or goes away, or the deadline passes.
    /// </summary>
    Task<CallStatus> ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken);
}
