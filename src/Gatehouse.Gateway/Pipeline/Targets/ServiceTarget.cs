using Gatehouse.Gateway.Routing;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Pipeline.Targets;

/// <summary>
/// Services attached to this gateway, through the route table: leases the least busy endpoint for
/// the request's (domain, command), waiting in the route's bounded queue when all are busy, opens a
/// stream to it, and carries the request there. A native request is spliced (the two connections'
/// read loops pass frames to each other); any other front door's request has its output pumped
/// back through the request. The lease is held until the endpoint's status arrives and given back
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

        bool noStdin = stream.TryPeek(out var first) && first.Kind == StreamEventKind.EndOfInput;
        var upstream = binding.Connection.TryOpenStream(ForwardedMetadata.Build(header, request.Caller, 0), noStdin);
        if (upstream is null)
        {
            routes.Release(binding);
            return false;
        }

        request.Lease = binding;
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
        uint remaining = request.Deadline is { } x ? (uint)Math.Max(1, (x - DateTimeOffset.UtcNow).TotalMilliseconds) : 0;
        var forwarded = ForwardedMetadata.Build(header, request.Caller, remaining);
        return request.Stream is { } stream
            ? await SpliceAsync(stream, binding.Connection, forwarded, cancellationToken).ConfigureAwait(false)
            : await PumpAsync(request, binding.Connection, forwarded, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A native request: joins its stream to the upstream one until upstream's status arrives.</summary>
    private static async Task<CallStatus> SpliceAsync(MuxStream caller, MuxConnection endpoint, RequestHeader forwarded, CancellationToken cancellationToken)
    {
        bool noStdin = caller.TryPeek(out var first) && first.Kind == StreamEventKind.EndOfInput;
        MuxStream upstream;
        try
        {
            upstream = await endpoint.OpenStreamAsync(forwarded, endStream: noStdin, cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionClosedException ex)
        {
            return CallStatus.Error(ErrorCode.BackendFailed, "Backend went away: " + ex.Message);
        }

        var done = new SpliceDone();
        var splice = MuxSplice.Start(caller, upstream, inputEnded: noStdin, done);
        // A deadline (or a caller that went away) cancels upstream; its status still ends the request.
        using var cancel = cancellationToken.Register(static s =>
        {
            var (sp, c) = ((MuxSplice, MuxStream))s!;
            sp.CancelUpstream(c.CancelCode ?? ErrorCode.DeadlineExceeded);
        }, (splice, caller));
        return await done.Task.ConfigureAwait(false);
    }

    /// <summary>Hands the upstream status to the waiting request (which the pipeline then answers).</summary>
    private sealed class SpliceDone : TaskCompletionSource<CallStatus>, ISpliceCompletion
    {
        public SpliceDone()
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
        }

        public void OnSpliceFinished(CallStatus status) => TrySetResult(status);
    }

    /// <summary>Any other front door's request: no input; upstream's output is written through the request.</summary>
    private static async Task<CallStatus> PumpAsync(GatewayRequest request, MuxConnection endpoint, RequestHeader forwarded, CancellationToken cancellationToken)
    {
        MuxStream upstream;
        try
        {
            upstream = await endpoint.OpenStreamAsync(forwarded, endStream: true, cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionClosedException ex)
        {
            return CallStatus.Error(ErrorCode.BackendFailed, "Backend went away: " + ex.Message);
        }

        using var cancel = cancellationToken.Register(static s => ((MuxStream)s!).Cancel(ErrorCode.Cancelled), upstream);
        // Output goes back through the request as it arrives; the endpoint's status (or the
        // connection's close reason, if it went away first) ends the loop.
        return await upstream.ReadToStatusAsync((item, ct) => request.WriteAsync(item.OutStream, item.Data, cancellationToken), CancellationToken.None).ConfigureAwait(false);
    }
}
