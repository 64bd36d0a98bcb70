using System.Buffers;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Internal;

/// <summary>
/// The one writer of a connection. Frames are serialised under <see cref="SyncRoot"/> into a
/// <see cref="FrameBuffer"/>; a single flush loop swaps that buffer for an empty one and writes it
/// to the transport outside the lock, so no writer ever waits for encryption or a syscall, and
/// every frame written while a send is in progress leaves in the next send, coalesced (one TLS
/// record and one syscall for many small frames, with no added delay). The loop runs on the thread
/// of the writer that found it idle, so a lone frame is sent at once.
/// Members named <c>*Unsynchronized</c> must be called with <see cref="SyncRoot"/> held.
/// Lock order: <see cref="SyncRoot"/> is a leaf lock; nothing else is taken while it is held.
/// </summary>
internal sealed class ConnectionWriter
{
    /// <summary>How long closing waits for queued frames (a final GOAWAY) to reach a peer that stopped reading.</summary>
    private static readonly TimeSpan CloseFlushTimeout = TimeSpan.FromSeconds(2);

    private readonly Stream _output;
    private readonly Func<ValueTask> _closeOutput;
    private readonly Action? _abort;
    private readonly Action? _onDrained;
    private readonly Action? _onBroken;
    private readonly BufferBudget? _budget;
    private FrameBuffer _pending = new();
    private FrameBuffer _sending = new();
    private bool _flushing;
    private bool _broken;
    private bool _closeStarted;
    private TaskCompletionSource? _drained;

    // Bytes of the batch being sent (0 when none), and the DATA bytes of each buffer that were
    // reserved from the budget (given back once sent).
    private long _sendingLength;
    private long _pendingData;
    private long _sendingData;

    // A writer found the buffer full: wake the connection's waiters after the next send.
    private bool _drainWanted;

    // The read loop waits here while more than _roomLimit bytes are queued (see WaitForRoomAsync).
    private TaskCompletionSource? _room;
    private long _roomLimit;

    // When the current send last moved (Environment.TickCount64); 0 when no send is in progress.
    private long _lastProgressTicks;

    /// <param name="output">Where frames go. Each write must reach the peer without a separate flush (SslStream, a pipe's stream).</param>
    /// <param name="closeOutput">Closes the output once the last frames were sent.</param>
    /// <param name="abort">Tears the transport down at once (ends a send stuck on a peer that does not read).</param>
    /// <param name="onDrained">Called (outside the lock) after a send when a writer had found the buffer full.</param>
    /// <param name="budget">The shared budget DATA bytes are reserved from, if any.</param>
    /// <param name="onBroken">Called once (outside the lock) when a send fails: the connection must close now, not when its read loop notices.</param>
    public ConnectionWriter(Stream output, Func<ValueTask> closeOutput, Action? abort = null, Action? onDrained = null, BufferBudget? budget = null, Action? onBroken = null)
    {
        _onBroken = onBroken;
        _output = output;
        _closeOutput = closeOutput;
        _abort = abort;
        _onDrained = onDrained;
        _budget = budget;
    }

    /// <summary>Bytes queued or being sent; read without the lock, so approximate.</summary>
    public long BufferedApprox => _pending.Length + Volatile.Read(ref _sendingLength);

    /// <summary>Bytes queued or being sent.</summary>
    public long BufferedUnsynchronized => _pending.Length + _sendingLength;

    /// <summary>With the lock held: <paramref name="bytes"/> of DATA reserved from the budget were just buffered.</summary>
    public void NoteReservedDataUnsynchronized(int bytes) => _pendingData += bytes;

    /// <summary>With the lock held: a writer found the buffer full and waits; the next completed send wakes the connection.</summary>
    public void RequestDrainSignalUnsynchronized() => _drainWanted = true;

    /// <summary>True when a send has been in progress without moving for longer than <paramref name="timeoutMs"/>.</summary>
    public bool IsStalled(long now, long timeoutMs)
    {
        long since = Volatile.Read(ref _lastProgressTicks);
        return since != 0 && now - since > timeoutMs;
    }

    /// <summary>
    /// Completes once no more than <paramref name="limit"/> bytes are queued (or the output is gone):
    /// the read loop waits here so a peer that sends without reading cannot grow the queue of
    /// replies (statuses, pings) without bound.
    /// </summary>
    public ValueTask WaitForRoomAsync(long limit)
    {
        Task wait;
        lock (SyncRoot)
        {
            if (BufferedUnsynchronized <= limit || IsCompletedUnsynchronized)
            {
                return ValueTask.CompletedTask;
            }

            _roomLimit = limit;
            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _room.Task;
        }

        return new ValueTask(wait);
    }

    /// <summary>The lock that guards the output buffer and the send-side flow-control state.</summary>
    public object SyncRoot { get; } = new();

    /// <summary>True once the output is closing or broken; later writes are dropped.</summary>
    public bool IsCompletedUnsynchronized => _closeStarted || _broken;

    /// <summary>Where frame writers write; only with <see cref="SyncRoot"/> held.</summary>
    public IBufferWriter<byte> OutputUnsynchronized => _pending;

    /// <summary>Called after frames were written under the lock: returns true when the caller must call <see cref="StartFlush"/> (outside the lock).</summary>
    public bool CommitUnsynchronized()
    {
        if (_flushing)
        {
            return false;
        }

        _flushing = true;
        return true;
    }

    /// <summary>Writes one frame through <paramref name="write"/> and sends it.</summary>
    public void Write<TState>(TState state, Action<IBufferWriter<byte>, TState> write)
    {
        bool flush;
        lock (SyncRoot)
        {
            if (IsCompletedUnsynchronized)
            {
                return;
            }

            write(_pending, state);
            flush = CommitUnsynchronized();
        }

        if (flush)
        {
            StartFlush();
        }
    }

    public void WriteStatus(uint streamId, CallStatus status) =>
        Write((streamId, status), static (o, s) => FrameWriter.WriteStatus(o, s.streamId, s.status));

    public void WriteWindowUpdate(uint streamId, int increment) =>
        Write((streamId, increment), static (o, s) => FrameWriter.WriteWindowUpdate(o, s.streamId, s.increment));

    public void WriteCancel(uint streamId, ErrorCode code) =>
        Write((streamId, code), static (o, s) => FrameWriter.WriteCancel(o, s.streamId, s.code));

    public void WritePing(ulong opaque, bool ack) =>
        Write((opaque, ack), static (o, s) => FrameWriter.WritePing(o, s.opaque, s.ack));

    public void WriteIdentity(byte[] statement) =>
        Write(statement, static (o, s) => FrameWriter.WriteIdentity(o, s));

    public void WriteGoAway(uint lastStreamId, ErrorCode code, string message) =>
        Write((lastStreamId, code, message), static (o, s) => FrameWriter.WriteGoAway(o, s.lastStreamId, s.code, s.message));

    /// <summary>
    /// Starts the flush loop after <see cref="CommitUnsynchronized"/> returned true. On a read loop
    /// processing a read (<see cref="FlushBatch.Current"/>), the flush waits for the end of that
    /// read. Otherwise it sends at once when the thread pool has nothing queued (nothing could join
    /// the send, so waiting would only add latency), or runs from the pool's global queue, after
    /// the work already queued (other requests' continuations, which write frames of their own), so
    /// their frames join this send: one TLS record and one syscall for many requests.
    /// </summary>
    public void StartFlush()
    {
        if (FlushBatch.Current is { } batch)
        {
            batch.Add(this);
        }
        else if (ThreadPool.PendingWorkItemCount == 0)
        {
            _ = FlushLoopAsync();
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static w => _ = w.FlushLoopAsync(), this, preferLocal: false);
        }
    }

    private async Task FlushLoopAsync()
    {
        bool sent = false;
        while (true)
        {
            FrameBuffer batch;
            TaskCompletionSource? drained = null;
            TaskCompletionSource? room = null;
            bool idle = false;
            bool wake = false;
            long released;
            lock (SyncRoot)
            {
                // The previous batch (if any) has been sent.
                released = _sendingData;
                _sendingData = 0;
                _sendingLength = 0;
                if (sent && _drainWanted)
                {
                    _drainWanted = false;
                    wake = true;
                }

                if (_room is not null && (_pending.Length <= _roomLimit || _broken))
                {
                    room = _room;
                    _room = null;
                }

                if (_pending.Length == 0 || _broken)
                {
                    _pending.Reset();
                    released += _pendingData;
                    _pendingData = 0;
                    _flushing = false;
                    idle = true;
                    drained = _drained;
                    Volatile.Write(ref _lastProgressTicks, 0);
                }
                else
                {
                    // Swap: writers go on filling the other buffer while this one is sent.
                    var next = _pending;
                    _pending = _sending;
                    _sending = next;
                    _sendingLength = next.Length;
                    _sendingData = _pendingData;
                    _pendingData = 0;
                    Volatile.Write(ref _lastProgressTicks, Environment.TickCount64);
                }

                batch = _sending;
            }

            _budget?.Release(released);
            room?.TrySetResult();
            if (wake)
            {
                _onDrained?.Invoke();
            }

            if (idle)
            {
                drained?.TrySetResult();
                return;
            }

            try
            {
                for (int i = 0; i < batch.SegmentCount; i++)
                {
                    await _output.WriteAsync(batch.Segment(i)).ConfigureAwait(false);
                    Volatile.Write(ref _lastProgressTicks, Environment.TickCount64);
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException or NotSupportedException)
            {
                // The transport is gone. Close the connection now: its read loop may not notice for a
                // long time (a half-open socket), and meanwhile callers would keep opening streams on it.
                bool first;
                lock (SyncRoot)
                {
                    first = !_broken;
                    _broken = true;
                }

                if (first)
                {
                    _onBroken?.Invoke();
                }
            }
            finally
            {
                batch.Reset();
            }

            sent = true;
        }
    }

    /// <summary>
    /// Stops accepting frames, sends the ones already queued (waiting up to two seconds for a peer
    /// that stopped reading), then closes the output. Later calls return at once.
    /// </summary>
    public async ValueTask CompleteAsync()
    {
        Task? drained = null;
        bool start = false;
        lock (SyncRoot)
        {
            if (_closeStarted)
            {
                return;
            }

            _closeStarted = true;
            if (!_broken && (_flushing || _pending.Length > 0))
            {
                _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                drained = _drained.Task;
                if (!_flushing)
                {
                    _flushing = true;
                    start = true;
                }
            }
        }

        if (start)
        {
            _ = FlushLoopAsync();
        }

        if (drained is not null)
        {
            try
            {
                await drained.WaitAsync(CloseFlushTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The peer is not reading: tear the transport down, which ends the stuck send.
                _abort?.Invoke();
            }
        }

        TaskCompletionSource? room;
        lock (SyncRoot)
        {
            room = _room;
            _room = null;
        }

        room?.TrySetResult();

        try
        {
            await _closeOutput().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // Already closed underneath.
        }
    }
}
