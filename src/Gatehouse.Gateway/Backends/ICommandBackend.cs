using Gatehouse.Gateway.Pipeline;
using Gatehouse.Gateway.Pipeline.Targets;
using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Backends;

/// <summary>
/// A source of commands configured on the gateway itself (exec programs, ZeroMQ daemons), as
/// opposed to services that register over the network. The pipeline tries backends, in the order
/// they were added, after the attached services.
/// </summary>
public interface ICommandBackend : IRequestTarget
{
    /// <inheritdoc />
    TargetKind IRequestTarget.Kind => TargetKind.Backend;

    /// <summary>True when this backend has a definition for (domain, command).</summary>
    bool Handles(string domain, string command);

    /// <summary>
    /// Runs the request: writes output through <paramref name="request"/> (with backpressure),
    /// reads its input, and returns the final status (the pipeline sends it).
    /// <paramref name="cancellationToken"/> fires when the caller cancels or goes away, or the
    /// deadline passes.
    /// </summary>
    new Task<CallStatus> ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken);

    /// <inheritdoc />
    Task<CallStatus> IRequestTarget.ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken) => ExecuteAsync(request, cancellationToken);

    /// <summary>Re-reads configuration; returns an error message, or null on success (the old configuration stays on error).</summary>
    string? Reload();
}
