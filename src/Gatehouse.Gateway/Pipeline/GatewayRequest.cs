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

    // For metrics and the audit trail: when it arrived (Stopwatch ticks), bytes carried, what served it.
    internal readonly long StartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
    internal long BytesIn;
    internal long BytesOut;
    internal Audit.AuditTarget Target;

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
    void Transport.Mux.ISpliceCompletion.OnSpliceFinished(Transport.Mux.MuxSplice splice, CallStatus status)
    {
        CountSplice(splice);
        Pipeline!.Finish(this, Targets.Relay.FromService(status));
    }

    /// <summary>The service lease this request holds, if it was relayed to one.</summary>
    internal ServiceBinding? Lease { get; set; }

    /// <summary>Which service endpoint or member served it (for the audit trail), when known.</summary>
    internal string? TargetName { get; set; }

    /// <summary>The remctl.conf line the request matched (its <c>logmask=</c> applies to the audit record).</summary>
    internal Commands.Configuration.CommandLine? MatchedLine { get; private set; }

    /// <summary>The command runner matched a configured line: remembered for the audit record, and the target named exec or zeromq.</summary>
    void ICommandOutput.Matched(Commands.Configuration.CommandLine line)
    {
        MatchedLine = line;
        Target = line.Options.Type == Commands.Configuration.BackendType.Exec ? Audit.AuditTarget.Exec : Audit.AuditTarget.ZeroMq;
    }

    /// <summary>Bytes of the request's arguments (the command name not included).</summary>
    internal long ArgumentBytes()
    {
        long n = 0;
        var args = Header.Arguments;
        for (int i = 0; i < args.Count; i++)
        {
            n += args[i].Length;
        }

        return n;
    }

    /// <summary>Adds what a splice carried (its own counters) to this request's.</summary>
    internal void CountSplice(Transport.Mux.MuxSplice splice)
    {
        BytesIn += splice.BytesUp;
        BytesOut += splice.BytesDown;
    }
}
