using Gatehouse.Commands;
using Gatehouse.Protocol;
using Gatehouse.Gateway.Routing;

namespace Gatehouse.Gateway.Pipeline;

/// <summary>
/// One request as the pipeline sees it, whatever front door it came in by: who sent it, what it
/// asks for, its deadline and cancellation, its input and its output. Each front door adapts its
/// own input into a subclass (one object per request, which also carries the request's lease and
/// completion, so the relay path allocates nothing else for it). The final status goes back
/// through <see cref="Respond"/> only, which the pipeline calls.
/// </summary>
public abstract class GatewayRequest : ICommandOutput, Transport.Mux.ISpliceCompletion
{
    // Kept small: on the relay path this is the only object a request adds (it is also the splice's
    // completion), so its fields are what the relay costs per request.
    private readonly long _deadlineTicks; // UTC ticks; 0: none
    private int _responded;

    protected GatewayRequest(Caller caller, RequestHeader header)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(header);
        Caller = caller;
        _deadlineTicks = header.DeadlineMs > 0 ? DateTimeOffset.UtcNow.AddMilliseconds(header.DeadlineMs).UtcTicks : 0;
    }

    /// <summary>Who sent it.</summary>
    public Caller Caller { get; }

    /// <summary>What it asks for, as the caller sent it (metadata not yet filtered).</summary>
    public abstract RequestHeader Header { get; }

    /// <summary>When the caller stops waiting; null for none.</summary>
    public DateTimeOffset? Deadline => _deadlineTicks == 0 ? null : new DateTimeOffset(_deadlineTicks, TimeSpan.Zero);

    /// <summary>True once the final status was sent.</summary>
    public bool IsAnswered => Volatile.Read(ref _responded) != 0;

    /// <summary>Fires when the caller cancelled or went away.</summary>
    public abstract CancellationToken Aborted { get; }

    /// <summary>The status a cancellation should end with (the caller's CANCEL code, if it sent one).</summary>
    public virtual CallStatus CancelledStatus => CallStatus.Error(ErrorCode.Cancelled);

    /// <summary>The native stream, when the request came in on one (a service target splices it).</summary>
    public virtual Transport.Mux.MuxStream? Stream => null;

    /// <summary>
    /// True when the caller takes standard output and standard error as one stream (a remctl protocol v1
    /// client): an exec command then gets one socket for both, as remctld gives it, so their interleaving
    /// is the program's own.
    /// </summary>
    public virtual bool MergesOutputStreams => false;

    /// <summary>
    /// The caller's input (stdin) as a stream, or null when this front door has none. Reading it
    /// returns credit to the caller as it goes.
    /// </summary>
    public abstract System.IO.Stream? OpenInput(CancellationToken cancellationToken);

    /// <summary>Writes output on <paramref name="outStream"/> <paramref name="stream"/> (1 stdout, 2 stderr, ...); awaiting is the backpressure.</summary>
    public abstract ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// Sends the final status to the caller, once: later calls do nothing and return false.
    /// Only the pipeline calls it (the one place a request is answered).
    /// </summary>
    internal bool Respond(in CallStatus status)
    {
        if (Interlocked.Exchange(ref _responded, 1) != 0)
        {
            return false;
        }

        Send(status);
        return true;
    }

    /// <summary>The front door's way of delivering the final status.</summary>
    protected abstract void Send(in CallStatus status);

    /// <summary>How this front door words "nothing serves this command".</summary>
    public virtual CallStatus UnknownCommand() =>
        CallStatus.Error(ErrorCode.UnknownCommand, $"Unknown command: nothing serves {Header.Domain}/{Header.Command}");

    /// <summary>How this front door words a refusal; <paramref name="reason"/> says why.</summary>
    public virtual CallStatus AccessDenied(string reason) => CallStatus.Error(ErrorCode.Access, "Access denied: " + reason);

    /// <summary>The pipeline running this request (set when it entered).</summary>
    internal RequestPipeline? Pipeline { get; set; }

    /// <summary>A spliced request's end: the endpoint's status arrived (on the read loop that delivered it).</summary>
    /// <remarks>Only the try-now splice to an attached service completes through the request itself.</remarks>
    void Transport.Mux.ISpliceCompletion.OnSpliceFinished(CallStatus status) => Pipeline!.Finish(this, Targets.Relay.FromService(status));

    /// <summary>The service lease this request holds, if it was relayed to one.</summary>
    internal ServiceBinding? Lease { get; set; }
}
