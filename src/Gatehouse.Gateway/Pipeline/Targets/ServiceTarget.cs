using Gatehouse.Gateway.Routing;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Pipeline.Targets;

/// <summary>
/// Services attached to this gateway, through the route table: leases the least busy endpoint for
/// the request's (domain, command), waiting in the route's bounded queue when all are busy, opens a
/// stream to it, and carries the request there (<see cref="Relay"/>). The lease is held until the endpoint's status arrives and given back
/// by the pipeline when the request ends.
/// </summary>
internal sealed class ServiceTarget(RouteTable routes, TimeSpan queueTimeout) : IRequestTarget
{
    public TargetKind Kind => TargetKind.Service;

    /// <summary>True when some endpoint is registered for the request's (domain, command) or (domain, *).</summary>
    public bool Serves(RequestHeader header) => routes.HasRoute(header.Domain, header.Command);

    /// <summary>
    /// The fast path, on the caller connection's read loop: if an endpoint is free now and has a
    /// free stream slot, opens the upstream stream and splices the request to it, with no task and
    /// no thread hop; the request itself is the splice's completion and ends it. False (nothing done) when that is not possible now.
    /// </summary>
    public bool TryStartNow(GatewayRequest request, MuxStream stream)
    {
        var header = request.Header;
        var binding = routes.TryAcquire(header.Domain, header.Command);
        if (binding is null)
        {
            return false;
        }

        bool noStdin = Relay.HasNoInput(stream);
        var upstream = binding.Connection.TryOpenStream(ForwardedMetadata.Build(header, request.Caller, 0), noStdin);
        if (upstream is null)
        {
            routes.Release(binding);
            return false;
        }

        request.Lease = binding;
        request.Target = Audit.AuditTarget.Service;
        request.TargetName = binding.Service.Name;
        MuxSplice.Start(stream, upstream, noStdin, request);
        return true;
    }

    public async Task<CallStatus> ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var header = request.Header;
        TimeSpan wait = queueTimeout;
        if (request.Deadline is { } d && d - DateTimeOffset.UtcNow < wait)
        {
            wait = d - DateTimeOffset.UtcNow;
            if (wait <= TimeSpan.Zero)
            {
                return CallStatus.Error(ErrorCode.DeadlineExceeded);
            }
        }

        var (binding, error) = await routes.AcquireAsync(header.Domain, header.Command, wait, cancellationToken).ConfigureAwait(false);
        if (binding is null)
        {
            if (error.ErrorCode == ErrorCode.Overloaded && request.Deadline is { } dl && DateTimeOffset.UtcNow >= dl)
            {
                return CallStatus.Error(ErrorCode.DeadlineExceeded, "Deadline passed while waiting for a free service");
            }

            return error.ErrorCode == ErrorCode.UnknownCommand ? request.UnknownCommand() : error;
        }

        request.Lease = binding;
        request.Target = Audit.AuditTarget.Service;
        request.TargetName = binding.Service.Name;
        uint remaining = request.Deadline is { } x ? (uint)Math.Max(1, (x - DateTimeOffset.UtcNow).TotalMilliseconds) : 0;
        var forwarded = ForwardedMetadata.Build(header, request.Caller, remaining);
        return await RelayAsync(request, binding.Connection, forwarded, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens the stream to the endpoint and relays the request over it.</summary>
    private static async Task<CallStatus> RelayAsync(GatewayRequest request, MuxConnection endpoint, RequestHeader forwarded, CancellationToken cancellationToken)
    {
        bool noInput = request.Stream is not { } stream || Relay.HasNoInput(stream);
        MuxStream upstream;
        try
        {
            upstream = await endpoint.OpenStreamAsync(forwarded, endStream: noInput, cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionClosedException ex)
        {
            return CallStatus.Error(ErrorCode.BackendFailed, "Backend went away: " + ex.Message);
        }

        return Relay.FromService((await Relay.CarryAsync(request, upstream, noInput, cancellationToken).ConfigureAwait(false)).Status);
    }
}
