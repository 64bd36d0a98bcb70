using System.Text;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Dispatch;

/// <summary>
/// Decides what happens to each request a peer sends: the reserved domain is answered here;
/// otherwise the caller must be a client allowed the domain, then the request goes to a registered
/// service (least outstanding) or to a configured backend. Every request ends with exactly one
/// STATUS, whatever fails.
/// </summary>
internal sealed class RequestDispatcher
{
    private readonly GatewayRuntime _runtime;
    private readonly ControlCommands _control;

    public RequestDispatcher(GatewayRuntime runtime)
    {
        _runtime = runtime;
        _control = new ControlCommands(runtime);
    }

    /// <summary>
    /// Entry point, called on the caller connection's read loop: a request that can be relayed to a
    /// service without waiting is spliced right here (no thread hop, no task); everything else
    /// (admin commands, exec and ZeroMQ backends, queueing, errors, deadlines) goes to the thread pool.
    /// </summary>
    public void Dispatch(PeerSession caller, MuxStream stream)
    {
        int max = _runtime.Options.Limits.MaxRequestsPerPrincipal;
        if (!caller.Load.TryEnter(max))
        {
            stream.Complete(CallStatus.Error(ErrorCode.Overloaded, $"Overloaded: {max} requests in progress for {caller.Grant.Name} (limit MaxRequestsPerPrincipal)"));
            return;
        }

        if (!TryRelayNow(caller, stream))
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Item1.RunAsync(s.caller, s.stream), (this, caller, stream), preferLocal: false);
        }
    }

    /// <summary>The fast path: a client allowed the domain, a free service, a free stream slot on it.</summary>
    private bool TryRelayNow(PeerSession caller, MuxStream stream)
    {
        var header = stream.Header;
        if (header.DeadlineMs > 0 || header.Domain == RequestHeader.ControlDomain
            || !caller.Grant.Has(PeerRoles.Client) || !caller.Grant.AllowsDomain(header.Domain))
        {
            return false;
        }

        var binding = _runtime.Routes.TryAcquire(header.Domain, header.Command);
        if (binding is null)
        {
            return false;
        }

        bool noStdin = stream.TryPeek(out var first) && first.Kind == StreamEventKind.EndOfInput;
        var upstream = binding.Connection.TryOpenStream(ForwardedMetadata.Build(header, caller, 0), noStdin);
        if (upstream is null)
        {
            _runtime.Routes.Release(binding);
            return false;
        }

        caller.CountRequest();
        _runtime.RequestStarted();
        MuxSplice.Start(stream, upstream, noStdin, new SpliceDone(this, caller, header, binding).OnFinished);
        return true;
    }

    /// <summary>What happens when a spliced request's upstream status arrived.</summary>
    private sealed class SpliceDone(RequestDispatcher dispatcher, PeerSession caller, RequestHeader header, Routing.ServiceBinding binding)
    {
        public void OnFinished(CallStatus status)
        {
            caller.Load.Exit();
            dispatcher._runtime.Routes.Release(binding);
            dispatcher.LogDone(caller, header, status);
            dispatcher._runtime.RequestEnded();
        }
    }

    private void LogDone(PeerSession caller, RequestHeader header, in CallStatus status)
    {
        if (_runtime.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            // Guarded: the arguments are formatted strings, too costly to build per request for nothing.
            Log.RequestDone(_runtime.Logger, caller.Describe(), header.Domain, header.Command, status.ToString());
        }
    }

    private async Task RunAsync(PeerSession caller, MuxStream stream)
    {
        caller.CountRequest();
        _runtime.RequestStarted();
        var header = stream.Header;
        try
        {
            var status = await HandleAsync(caller, stream, header).ConfigureAwait(false);
            stream.Complete(status);
            LogDone(caller, header, status);
        }
        catch (Exception ex)
        {
            Log.RequestFailed(_runtime.Logger, ex, caller.Describe(), header.Domain, header.Command);
            stream.Complete(CallStatus.Error(ErrorCode.Internal, "Internal gateway error"));
        }
        finally
        {
            caller.Load.Exit();
            _runtime.RequestEnded();
        }
    }

    private async Task<CallStatus> HandleAsync(PeerSession caller, MuxStream stream, RequestHeader header)
    {
        if (header.Domain == RequestHeader.ControlDomain)
        {
            var (output, status) = _control.Execute(caller, header);
            if (output.Length > 0)
            {
                await stream.WriteAsync(1, Encoding.UTF8.GetBytes(output), cancellationToken: stream.Aborted).ConfigureAwait(false);
            }

            return status;
        }

        if (!caller.Grant.Has(PeerRoles.Client))
        {
            return CallStatus.Error(ErrorCode.Access, $"Access denied: {caller.Grant.Name} does not have the client role");
        }

        if (!caller.Grant.AllowsDomain(header.Domain))
        {
            return CallStatus.Error(ErrorCode.Access, $"Access denied: {caller.Grant.Name} may not call domain '{header.Domain}'");
        }

        DateTimeOffset? deadline = header.DeadlineMs > 0 ? DateTimeOffset.UtcNow.AddMilliseconds(header.DeadlineMs) : null;
        if (_runtime.Routes.HasRoute(header.Domain, header.Command))
        {
            return await RelayToServiceAsync(caller, stream, header, deadline).ConfigureAwait(false);
        }

        foreach (var backend in _runtime.Backends)
        {
            if (backend.Handles(header.Domain, header.Command))
            {
                var forwarded = ForwardedMetadata.Build(header, caller, header.DeadlineMs);
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(stream.Aborted);
                if (deadline is { } d)
                {
                    cts.CancelAfter(d - DateTimeOffset.UtcNow);
                }

                try
                {
                    return await backend.ExecuteAsync(caller, forwarded, stream, cts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cts.IsCancellationRequested)
                {
                    return stream.CancelCode is { } code
                        ? CallStatus.Error(code)
                        : CallStatus.Error(ErrorCode.DeadlineExceeded);
                }
            }
        }

        return CallStatus.Error(ErrorCode.UnknownCommand, $"Unknown command: nothing serves {header.Domain}/{header.Command}");
    }

    private async Task<CallStatus> RelayToServiceAsync(PeerSession caller, MuxStream stream, RequestHeader header, DateTimeOffset? deadline)
    {
        TimeSpan wait = _runtime.Options.QueueTimeout;
        if (deadline is { } d && d - DateTimeOffset.UtcNow < wait)
        {
            wait = d - DateTimeOffset.UtcNow;
            if (wait <= TimeSpan.Zero)
            {
                return CallStatus.Error(ErrorCode.DeadlineExceeded);
            }
        }

        var (binding, error) = await _runtime.Routes.AcquireAsync(header.Domain, header.Command, wait, stream.Aborted).ConfigureAwait(false);
        if (binding is null)
        {
            if (error.ErrorCode == ErrorCode.Overloaded && deadline is { } dl && DateTimeOffset.UtcNow >= dl)
            {
                return CallStatus.Error(ErrorCode.DeadlineExceeded, "Deadline passed while waiting for a free service");
            }

            return error;
        }

        try
        {
            uint remaining = deadline is { } x ? (uint)Math.Max(1, (x - DateTimeOffset.UtcNow).TotalMilliseconds) : 0;
            var forwarded = ForwardedMetadata.Build(header, caller, remaining);
            return await Relay.RunAsync(stream, binding.Connection, forwarded, deadline).ConfigureAwait(false);
        }
        finally
        {
            _runtime.Routes.Release(binding);
        }
    }
}
