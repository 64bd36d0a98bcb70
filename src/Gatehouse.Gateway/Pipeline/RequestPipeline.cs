using Gatehouse.Gateway.Pipeline.Targets;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Pipeline;

/// <summary>
/// The one way a request travels through the gateway, whatever front door it came in by: admit
/// (the principal's request cap), authorize, resolve a target (control command, attached service,
/// configured backend), execute, and answer with exactly one final status, sent from
/// <see cref="Finish"/> (or from <see cref="Expire"/> when the deadline passes first). A request that
/// can be relayed to a free service at once is started on the caller's read loop with no task
/// (<see cref="Dispatch"/>'s try-now); everything else runs on the thread pool.
/// </summary>
public sealed class RequestPipeline
{
    private readonly GatewayRuntime _runtime;
    private readonly ILogger _logger;
    private readonly RequestAuthorizer _authorizer;
    private readonly ControlTarget _control;
    private readonly ServiceTarget _services;
    private readonly int _maxPerPrincipal;
    private readonly string _gatewayName;

    private readonly MembershipTarget? _membership;
    private readonly ForwardTarget? _forward;
    private readonly Locators.Locators _locators;

    /// <param name="runtime">The gateway's shared state (routes, backends, limits, counters).</param>
    /// <param name="membership">This gateway's cluster membership, whose commands the control domain serves; null: none.</param>
    public RequestPipeline(GatewayRuntime runtime, Membership.ClusterMembership? membership = null)
    {
        _membership = membership is null ? null : new MembershipTarget(membership);
        _forward = membership is null ? null : new ForwardTarget(membership);
        ArgumentNullException.ThrowIfNull(runtime);
        _runtime = runtime;
        _logger = runtime.Logger;
        _authorizer = new RequestAuthorizer(runtime.Options.RemctlServiceAcl);
        _control = new ControlTarget(new ControlCommands(runtime, membership));
        _services = new ServiceTarget(runtime.Routes, runtime.Options.QueueTimeout);
        _locators = new Locators.Locators(runtime, membership, _services, _forward);
        _maxPerPrincipal = runtime.Options.Limits.MaxRequestsPerPrincipal;
        _gatewayName = runtime.Identity.Fingerprint.ToString();
    }

    /// <summary>
    /// Entry point of a front door that must not wait (a native connection's read loop): admits the
    /// request, starts it at once if it can be spliced to a free service, else hands it to the thread
    /// pool. Returns as soon as that is decided.
    /// </summary>
    public void Dispatch(GatewayRequest request)
    {
        if (!Admit(request))
        {
            return;
        }

        if (request.Stream is { } stream && TryStartNow(request, stream))
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Item1.RunAsync(s.request), (this, request), preferLocal: false);
    }

    /// <summary>
    /// Entry point of a front door that awaits the outcome (the remctl port): runs the request to its
    /// end (its status has been sent through the request by then).
    /// </summary>
    public Task ExecuteAsync(GatewayRequest request) => Admit(request) ? RunAsync(request) : Task.CompletedTask;

    /// <summary>Answers <paramref name="request"/> with <paramref name="status"/> without running it (a front door refusing it up front).</summary>
    public void Refuse(GatewayRequest request, in CallStatus status)
    {
        request.Respond(status);
        Record(request, status);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.RequestDone(_logger, request.Caller.Label, request.Header.Domain, request.Header.Command, status.ToString());
        }
    }

    /// <summary>The principal's cap; counts the request as started.</summary>
    private bool Admit(GatewayRequest request)
    {
        request.Pipeline = this;
        if (!request.Caller.Load.TryEnter(_maxPerPrincipal))
        {
            var overloaded = CallStatus.Error(ErrorCode.Overloaded, $"Overloaded: {_maxPerPrincipal} requests in progress for {request.Caller.Name} (limit MaxRequestsPerPrincipal)");
            request.Respond(overloaded);
            Record(request, overloaded);
            return false;
        }

        request.Caller.Session?.CountRequest();
        _runtime.RequestStarted();
        return true;
    }

    /// <summary>
    /// Try-now: a native request with no deadline for a route with a free endpoint here, or (when
    /// nothing here serves it) for a member whose link is up. Not for requests a locator places.
    /// </summary>
    private bool TryStartNow(GatewayRequest request, Transport.Mux.MuxStream stream)
    {
        var header = request.Header;
        if (request.Deadline is not null
            || header.Domain == RequestHeader.ControlDomain
            || _authorizer.Check(request, TargetKind.Service) is not null
            || _locators.Covers(header.Domain))
        {
            return false;
        }

        if (_services.TryStartNow(request, stream))
        {
            return true;
        }

        return _forward is not null
            && !_services.Serves(header)
            && !HasBackend(header)
            && !ForwardedMetadata.IsForwarded(header, request.Caller)
            && _forward.TryStartNow(request, stream);
    }

    private bool HasBackend(RequestHeader header)
    {
        foreach (var backend in _runtime.Backends)
        {
            if (backend.Handles(header.Domain, header.Command))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Resolves what serves the request: control domain, attached service, backends in order, then
    /// another member that has a route for it, unless the request was forwarded here by a member
    /// (a forwarded request is never forwarded again: no loops).
    /// </summary>
    internal IRequestTarget? Resolve(GatewayRequest request)
    {
        var header = request.Header;
        if (header.Domain == RequestHeader.ControlDomain)
        {
            return _membership is not null && MembershipTarget.Serves(header.Command) ? _membership : _control;
        }

        if (!Routing.RouteTable.Wildcarded(header.Command) && !ForwardedMetadata.IsForwarded(header, request.Caller))
        {
            return null; // the gateway's own @ commands (a locator's @locate) are asked by gateways only
        }

        if (_services.Serves(header))
        {
            return _services;
        }

        foreach (var backend in _runtime.Backends)
        {
            if (backend.Handles(header.Domain, header.Command))
            {
                return backend;
            }
        }

        return _forward is not null && !ForwardedMetadata.IsForwarded(header, request.Caller) && _forward.Serves(header) ? _forward : null;
    }

    /// <summary>A request for a service domain of which no service is attached here (it may have detached): said so, instead of a bare "unknown command".</summary>
    private CallStatus? NotAttached(GatewayRequest request) =>
        request.Header.Domain is RequestHeader.DefaultDomain or RequestHeader.ControlDomain || _runtime.Routes.HasDomain(request.Header.Domain)
            ? null
            : CallStatus.Error(ErrorCode.UnknownCommand, $"Unknown command: nothing serves {request.Header.Domain}/{request.Header.Command}: no service for domain {request.Header.Domain} is attached to this gateway");

    private async Task RunAsync(GatewayRequest request)
    {
        CallStatus status;
        CancellationTokenSource? cts = null;
        ITimer? deadline = null;
        try
        {
            IRequestTarget? target = null;
            CallStatus? placed = null;
            if (_locators.Applies(request) && _authorizer.Check(request, TargetKind.Service) is null)
            {
                // A locator places this request by its key (authorized first: no probing locators).
                (target, placed) = await _locators.PlaceAsync(request, request.Aborted).ConfigureAwait(false);
            }

            target ??= Resolve(request);
            if (target is not null && target.Kind == TargetKind.Control)
            {
                request.Target = Audit.AuditTarget.Control;
            }

            if (_authorizer.Check(request, target?.Kind) is { } denied)
            {
                status = denied;
            }
            else if (placed is { } error)
            {
                status = error;
            }
            else if (target is null)
            {
                status = ForwardedMetadata.IsForwarded(request.Header, request.Caller)
                    ? CallStatus.Error(ErrorCode.UnknownCommand, $"Unknown command: nothing serves {request.Header.Domain}/{request.Header.Command} on this member, and a forwarded request is not forwarded again")
                    : NotAttached(request) ?? request.UnknownCommand();
            }
            else
            {
                cts = CancellationTokenSource.CreateLinkedTokenSource(request.Aborted);
                if (request.Deadline is { } d)
                {
                    deadline = TimeProvider.System.CreateTimer(static s =>
                    {
                        var (r, c) = ((GatewayRequest, CancellationTokenSource))s!;
                        Expire(r, c);
                    }, (request, cts), Clamp(d - DateTimeOffset.UtcNow), Timeout.InfiniteTimeSpan);
                }

                status = await ExecuteTargetAsync(target, request, cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (request.Aborted.IsCancellationRequested)
        {
            status = request.CancelledStatus; // the caller went while a locator was asked
        }
        catch (Exception ex)
        {
            if (!request.IsAnswered)
            {
                Log.RequestFailed(_logger, ex, request.Caller.Label, request.Header.Domain, request.Header.Command);
            }

            status = CallStatus.Error(ErrorCode.Internal, "Internal gateway error");
        }
        finally
        {
            deadline?.Dispose();
        }

        cts?.Dispose();
        Finish(request, status);
    }

    private static async Task<CallStatus> ExecuteTargetAsync(IRequestTarget target, GatewayRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await target.ExecuteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The deadline (already answered by Expire) or the caller's cancel.
            return request.Deadline is { } d && DateTimeOffset.UtcNow >= d && !request.Aborted.IsCancellationRequested
                ? CallStatus.Error(ErrorCode.DeadlineExceeded)
                : request.CancelledStatus;
        }
        catch (ConnectionClosedException) when (request.Aborted.IsCancellationRequested)
        {
            // The caller's connection went while the target wrote to it: nobody is left to answer,
            // and nothing failed inside the gateway.
            return request.CancelledStatus;
        }
    }

    /// <summary>The deadline passed: the caller is answered now; the target is cancelled and ends the request when it stops.</summary>
    private static void Expire(GatewayRequest request, CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return; // the request ended just now
        }

        request.Respond(CallStatus.Error(ErrorCode.DeadlineExceeded));
    }

    /// <summary>
    /// The end of every admitted request, once: sends the final status (unless the deadline already
    /// did), gives back the service lease and the principal's slot, logs.
    /// </summary>
    internal void Finish(GatewayRequest request, in CallStatus status)
    {
        request.Respond(status);
        Record(request, status); // before the lease goes: the record names the service
        if (request.Lease is { } lease)
        {
            request.Lease = null;
            _runtime.Routes.Release(lease);
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            // Guarded: the arguments are formatted strings, too costly to build per request for nothing.
            Log.RequestDone(_logger, request.Caller.Label, request.Header.Domain, request.Header.Command, status.ToString());
        }

        request.Caller.Load.Exit();
        _runtime.RequestEnded();
    }

    /// <summary>Metrics and the audit record of a request that ended (nothing is built when both are off).</summary>
    private void Record(GatewayRequest request, in CallStatus status)
    {
        var metrics = _runtime.Metrics;
        var audit = _runtime.Audit;
        if (!metrics.Active && !audit.Enabled)
        {
            return;
        }

        try
        {
            string outcome = Observability.OutcomeNames.Of(status);
            metrics.RequestEnded(request, status, outcome);
            audit.Record(request, status, outcome, _gatewayName);
        }
        catch (Exception ex)
        {
            // Recording must never cost a request its answer or a read loop its life.
            Log.RecordFailed(_logger, ex, request.Caller.Label);
        }
    }

    private static TimeSpan Clamp(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;
}
