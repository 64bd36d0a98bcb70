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
    private Timer? _graceTimer;

    internal ActiveCall(MuxStream stream, TimeSpan? deadline)
    {
        _stream = stream;
        if (deadline is { } d)
        {
            // At the deadline tell the gateway; if no status follows within the grace period, end locally.
            _deadlineTimer = new Timer(static s => ((ActiveCall)s!).OnDeadline(), this, d, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The stream id on the connection (for logs).</summary>
    public uint StreamId => _stream.Id;

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
                Finish(item.Status);
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

        Finish(status);
        return (status, collector.TakeOutputs());
    }

    private void Finish(CallStatus status)
    {
        _deadlineTimer?.Dispose();
        _graceTimer?.Dispose();
        _status.TrySetResult(status);
    }

    /// <summary>Cancels the call if it is still running.</summary>
    public ValueTask DisposeAsync()
    {
        if (!_status.Task.IsCompleted && !_stream.IsFinished)
        {
            _stream.Cancel(ErrorCode.Cancelled);
        }

        _deadlineTimer?.Dispose();
        _graceTimer?.Dispose();
        return ValueTask.CompletedTask;
    }
}
