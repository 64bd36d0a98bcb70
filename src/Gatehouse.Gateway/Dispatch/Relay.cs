using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Dispatch;

/// <summary>
/// Carries one request between a caller's stream and a backend's stream: opens the upstream
/// stream, then joins the two with a <see cref="MuxSplice"/> (stdin up, output and the status down,
/// CANCEL up, relayed by the read loops) and enforces the deadline.
/// </summary>
internal static class Relay
{
    /// <summary>Relays until upstream's final status arrived (the caller has one by then); returns it.</summary>
    public static async Task<CallStatus> RunAsync(MuxStream caller, MuxConnection backend, RequestHeader forwarded, DateTimeOffset? deadline)
    {
        bool noStdin = caller.TryPeek(out var first) && first.Kind == StreamEventKind.EndOfInput;
        MuxStream upstream;
        try
        {
            upstream = await backend.OpenStreamAsync(forwarded, endStream: noStdin, caller.Aborted).ConfigureAwait(false);
        }
        catch (ConnectionClosedException ex)
        {
            return Finish(caller, CallStatus.Error(ErrorCode.BackendFailed, "Backend went away: " + ex.Message));
        }
        catch (OperationCanceledException)
        {
            return Finish(caller, CallStatus.Error(ErrorCode.Cancelled));
        }

        // From here the two connections' read loops pass frames to each other (MuxSplice).
        var splice = MuxSplice.Start(caller, upstream, inputEnded: noStdin);
        using var deadlineTimer = deadline is { } d
            ? new Timer(static s => ((MuxSplice)s!).Expire(CallStatus.Error(ErrorCode.DeadlineExceeded)), splice, Clamp(d - DateTimeOffset.UtcNow), Timeout.InfiniteTimeSpan)
            : null;
        return await splice.Completion.ConfigureAwait(false);
    }

    private static TimeSpan Clamp(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;

    /// <summary>Sends <paramref name="status"/> to the caller unless it already has one.</summary>
    internal static CallStatus Finish(MuxStream caller, CallStatus status)
    {
        caller.Complete(status);
        return status;
    }
}
