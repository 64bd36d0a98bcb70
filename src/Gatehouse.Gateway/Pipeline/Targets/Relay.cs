using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Pipeline.Targets;

/// <summary>
/// Carries a request over a stream opened upstream (to an attached service, or to another
/// member): a native request is spliced (the two connections' read loops pass frames to each
/// other, flow control end to end); any other front door's request has upstream's output pumped
/// back through the request. Either way upstream's status (or its connection's close reason) is
/// the result, and cancellation (the deadline, the caller going away) cancels upstream.
/// </summary>
internal static class Relay
{
    /// <summary>True when the caller's stream carries no input (its first event ends it).</summary>
    public static bool HasNoInput(MuxStream caller) => caller.TryPeek(out var first) && first.Kind == StreamEventKind.EndOfInput;

    /// <summary>
    /// Carries <paramref name="request"/> over <paramref name="upstream"/> (spliced when it came on a
    /// native stream, pumped otherwise) until upstream's status arrives; also says whether any output
    /// came back (after which the request cannot be tried elsewhere, even if idempotent).
    /// </summary>
    public static async Task<(CallStatus Status, bool Output)> CarryAsync(GatewayRequest request, MuxStream upstream, bool noInput, CancellationToken cancellationToken)
    {
        if (request.Stream is { } caller)
        {
            var done = new SpliceDone();
            var splice = MuxSplice.Start(caller, upstream, inputEnded: noInput, done);
            using var cancel = cancellationToken.Register(static s =>
            {
                var (sp, c) = ((MuxSplice, MuxStream))s!;
                sp.CancelUpstream(c.CancelCode ?? ErrorCode.DeadlineExceeded);
            }, (splice, caller));
            var status = await done.Task.ConfigureAwait(false);
            request.CountSplice(splice);
            return (status, splice.OutputRelayed);
        }

        bool output = false;
        using (cancellationToken.Register(static s => ((MuxStream)s!).Cancel(ErrorCode.Cancelled), upstream))
        {
            var status = await upstream.ReadToStatusAsync((item, ct) =>
            {
                output = true;
                return request.WriteAsync(item.OutStream, item.Data, cancellationToken);
            }, CancellationToken.None).ConfigureAwait(false);
            return (status, output);
        }
    }

    /// <summary>
    /// A service's status as the caller may see it: a see-other-host answer is the gateway's alone
    /// (its target is pinned by the client on the gateway's word), so from a service it becomes a
    /// backend failure.
    /// </summary>
    public static CallStatus FromService(in CallStatus status) =>
        status.Kind == StatusKind.Error && status.ErrorCode == ErrorCode.SeeOtherHost
            ? CallStatus.Error(ErrorCode.BackendFailed, "The service answered see-other-host, which only a gateway may send")
            : status;

    /// <summary>Hands the upstream status to the waiting request (which the pipeline then answers).</summary>
    private sealed class SpliceDone : TaskCompletionSource<CallStatus>, ISpliceCompletion
    {
        public SpliceDone()
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
        }

        public void OnSpliceFinished(MuxSplice splice, CallStatus status) => TrySetResult(status);
    }
}
