using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Dispatch;

/// <summary>
/// Carries one request between a caller's stream and a backend's stream: stdin up, output and the
/// status down, CANCEL up. Credit is handed back to each sender only after its bytes were accepted
/// by the other side, so the gateway holds at most one stream window per direction for the request.
/// </summary>
internal static class Relay
{
    /// <summary>Relays until the caller has its one final status; returns it.</summary>
    public static async Task<CallStatus> RunAsync(MuxStream caller, MuxConnection backend, RequestHeader forwarded, DateTimeOffset? deadline)
    {
        bool gotFirst = caller.TryRead(out var first);
        bool noStdin = gotFirst && first.Kind == StreamEventKind.EndOfInput;
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

        using var cancelRegistration = caller.Aborted.Register(static s =>
        {
            var (up, down) = ((MuxStream, MuxStream))s!;
            up.Cancel(down.CancelCode ?? ErrorCode.Cancelled);
        }, (upstream, caller));

        using var deadlineTimer = deadline is { } d
            ? new Timer(static s =>
            {
                var (up, down) = ((MuxStream, MuxStream))s!;
                up.Cancel(ErrorCode.DeadlineExceeded);
                Finish(down, CallStatus.Error(ErrorCode.DeadlineExceeded));
            }, (upstream, caller), Clamp(d - DateTimeOffset.UtcNow), Timeout.InfiniteTimeSpan)
            : null;

        Task stdin = noStdin ? Task.CompletedTask : PumpStdinAsync(caller, upstream, gotFirst ? first : null);
        var status = await PumpOutputAsync(upstream, caller).ConfigureAwait(false);
        await stdin.ConfigureAwait(false);
        return status;
    }

    private static TimeSpan Clamp(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;

    /// <summary>Sends <paramref name="status"/> to the caller unless it already has one.</summary>
    internal static CallStatus Finish(MuxStream caller, CallStatus status)
    {
        caller.Complete(status);
        return status;
    }

    private static async Task PumpStdinAsync(MuxStream caller, MuxStream upstream, StreamEvent? first)
    {
        try
        {
            var item = first.GetValueOrDefault();
            bool have = first.HasValue;
            while (true)
            {
                if (!have)
                {
                    item = await caller.ReadAsync(upstream.Aborted).ConfigureAwait(false);
                }

                have = false;
                if (item.Kind == StreamEventKind.EndOfInput)
                {
                    await upstream.CompleteInputAsync().ConfigureAwait(false);
                    return;
                }

                if (item.Kind == StreamEventKind.Data)
                {
                    try
                    {
                        await upstream.WriteAsync(0, item.Data).ConfigureAwait(false);
                    }
                    finally
                    {
                        caller.Release(item);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Threading.Channels.ChannelClosedException or ConnectionClosedException or InvalidOperationException)
        {
            // The request ended (status sent, cancelled, or a side went away); stdin has nowhere to go.
        }
    }

    private static async Task<CallStatus> PumpOutputAsync(MuxStream upstream, MuxStream caller)
    {
        while (true)
        {
            StreamEvent item;
            try
            {
                item = await upstream.ReadAsync().ConfigureAwait(false);
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                return Finish(caller, CallStatus.Error(ErrorCode.BackendFailed, "Backend stream ended without a status"));
            }

            if (item.Kind == StreamEventKind.Status)
            {
                return Finish(caller, item.Status);
            }

            if (item.Kind != StreamEventKind.Data)
            {
                continue;
            }

            try
            {
                await caller.WriteAsync(item.OutStream, item.Data).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException)
            {
                // The caller is gone or already has its status (deadline); stop the backend's work.
                upstream.Cancel(caller.CancelCode ?? ErrorCode.Cancelled);
                return Finish(caller, CallStatus.Error(caller.CancelCode ?? ErrorCode.Cancelled));
            }
            finally
            {
                upstream.Release(item);
            }
        }
    }
}
