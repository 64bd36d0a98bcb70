using System.Runtime.CompilerServices;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Client;

/// <summary>One chunk of output as it arrived. <see cref="Data"/> is valid until the enumeration moves on.</summary>
public readonly record struct OutputChunk(int Stream, ReadOnlyMemory<byte> Data);

/// <summary>
/// A call in progress (the streaming API): write stdin, read output chunks as the backend produces
/// them, then the one final status. Enumerate <see cref="ReadOutputAsync"/> to the end, or await
/// <see cref="Completion"/> after cancelling.
/// </summary>
public sealed class ActiveCall : IAsyncDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);
    private readonly MuxStream _stream;
    private readonly TaskCompletionSource<CallStatus> _status = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Timer? _deadlineTimer;
    private readonly Func<string, CancellationToken, Task<ActiveCall>>? _follow;
    private Timer? _graceTimer;
    private volatile ActiveCall? _redirected;
    private bool _cancelled;

    /// <param name="stream">The call's stream.</param>
    /// <param name="deadline">Its deadline, if any.</param>
    /// <param name="follow">Follows a see-other-host answer (its message) by making the same call elsewhere; null: redirects end the call.</param>
    internal ActiveCall(MuxStream stream, TimeSpan? deadline, Func<string, CancellationToken, Task<ActiveCall>>? follow = null)
    {
        _stream = stream;
        _follow = follow;
        if (deadline is { } d)
        {
            // At the deadline tell the gateway; if no status follows within the grace period, end locally.
            _deadlineTimer = new Timer(static s => ((ActiveCall)s!).OnDeadline(), this, d, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The stream id on the connection (for logs; after a redirect, on the member's connection).</summary>
    public uint StreamId => _redirected?.StreamId ?? _stream.Id;

    /// <summary>Completes with the final status once it has been read.</summary>
    public Task<CallStatus> Completion => _status.Task;

    /// <summary>Writes stdin (waits for flow-control credit).</summary>
    public ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        _stream.WriteAsync(0, data, cancellationToken: cancellationToken);

    /// <summary>Ends stdin.</summary>
    public ValueTask CompleteStdinAsync(CancellationToken cancellationToken = default) => _stream.CompleteInputAsync(cancellationToken);

    /// <summary>Asks the backend to stop; the final status (normally CANCELLED) still arrives.</summary>
    public void Cancel()
    {
        _cancelled = true;
        if (_redirected is { } other)
        {
            other.Cancel();
            return;
        }

        _stream.Cancel(ErrorCode.Cancelled);
        ArmGrace(CallStatus.Error(ErrorCode.Cancelled, "Cancelled; the gateway did not confirm in time"));
    }

    private void OnDeadline()
    {
        _stream.Cancel(ErrorCode.DeadlineExceeded);
        ArmGrace(CallStatus.Error(ErrorCode.DeadlineExceeded));
    }

    private void ArmGrace(CallStatus status)
    {
        var timer = new Timer(static s =>
        {
            var (call, st) = ((ActiveCall, CallStatus))s!;
            call._stream.Abandon(st);
        }, (this, status), Grace, Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _graceTimer, timer)?.Dispose();
    }

    /// <summary>
    /// Yields output chunks in arrival order until the final status, which then completes
    /// <see cref="Completion"/>. Cancelling <paramref name="cancellationToken"/> cancels the call.
    /// </summary>
    public async IAsyncEnumerable<OutputChunk> ReadOutputAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var registration = cancellationToken.Register(static s => ((ActiveCall)s!).Cancel(), this);
        while (true)
        {
            // The last event is always a Status (the connection's close reason if it died first).
            var item = await _stream.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            if (item.Kind == StreamEventKind.Status)
            {
                var (other, failure) = await FollowAsync(item.Status, cancellationToken).ConfigureAwait(false);
                if (other is not null)
                {
                    // Nothing ran here and no output came: the member gives the call's output and status.
                    await foreach (var chunk in other.ReadOutputAsync(cancellationToken).ConfigureAwait(false))
                    {
                        yield return chunk;
                    }

                    Finish(await other.Completion.ConfigureAwait(false));
                    yield break;
                }

                Finish(failure ?? item.Status);
                yield break;
            }

            if (item.Kind != StreamEventKind.Data)
            {
                continue;
            }

            try
            {
                yield return new OutputChunk(item.OutStream, item.Data);
            }
            finally
            {
                _stream.Release(item);
            }
        }
    }

    /// <summary>
    /// The whole result at once: output by stream number and the final status, gathered by the
    /// connection's read loop (no chunk enumeration). Instead of <see cref="ReadOutputAsync"/>.
    /// </summary>
    internal async Task<(CallStatus Status, Dictionary<int, byte[]> Outputs)> CollectAsync(CancellationToken cancellationToken)
    {
        var collector = StreamCollector.Attach(_stream);
        CallStatus status;
        using (cancellationToken.CanBeCanceled ? cancellationToken.Register(static s => ((ActiveCall)s!).Cancel(), this) : default)
        {
            status = await collector.Completion.ConfigureAwait(false);
        }

        var (other, failure) = await FollowAsync(status, cancellationToken).ConfigureAwait(false);
        if (other is not null)
        {
            var result = await other.CollectAsync(cancellationToken).ConfigureAwait(false);
            Finish(result.Status);
            return result;
        }

        status = failure ?? status;
        Finish(status);
        return (status, collector.TakeOutputs());
    }

    /// <summary>
    /// A see-other-host answer (it comes before any output: nothing ran) with a way to follow it: the
    /// same call made at the member it names. Neither when <paramref name="status"/> is not one, or it
    /// cannot be followed; a failure status when the member cannot be reached (or presents another
    /// fingerprint): the call ends with it.
    /// </summary>
    private async Task<(ActiveCall? Other, CallStatus? Failure)> FollowAsync(CallStatus status, CancellationToken cancellationToken)
    {
        if (status.ErrorCode != ErrorCode.SeeOtherHost || status.Kind != StatusKind.Error || _follow is null || _cancelled)
        {
            return (null, null);
        }

        _deadlineTimer?.Dispose(); // the member's call has its own
        try
        {
            var other = await _follow(status.Message, cancellationToken).ConfigureAwait(false);
            _redirected = other;
            if (_cancelled)
            {
                other.Cancel();
            }

            return (other, null);
        }
        catch (Exception ex) when (ex is Transport.Connections.ConnectException or ConnectionClosedException)
        {
            return (null, CallStatus.Error(ErrorCode.BackendFailed, $"Redirected to {status.Message}, which failed: {ex.Message}"));
        }
    }

    private void Finish(CallStatus status)
    {
        _deadlineTimer?.Dispose();
        _graceTimer?.Dispose();
        _status.TrySetResult(status);
    }

    /// <summary>Cancels the call if it is still running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_redirected is { } other)
        {
            await other.DisposeAsync().ConfigureAwait(false);
        }

        if (!_status.Task.IsCompleted && !_stream.IsFinished)
        {
            _stream.Cancel(ErrorCode.Cancelled);
        }

        _deadlineTimer?.Dispose();
        _graceTimer?.Dispose();
    }
}
