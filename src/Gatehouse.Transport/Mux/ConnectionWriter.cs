using System.Buffers;
using System.IO.Pipelines;
using Gatehouse.Protocol;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// The one writer of a connection. Every frame is serialised under <see cref="SyncRoot"/> straight
/// into the transport's <see cref="PipeWriter"/>, or, while a flush of that pipe is pending (the
/// network is slower than the writers), into an <see cref="OverflowBuffer"/> that the single flush
/// loop moves into the pipe before its next flush: a pipe must not be appended to while its flush is
/// in progress. Frames written during a flush are coalesced into the next one (one syscall for many
/// small frames). Members named <c>*Unsynchronized</c> must be called with <see cref="SyncRoot"/> held.
/// Lock order: <see cref="SyncRoot"/> is a leaf lock; nothing else is taken while it is held.
/// </summary>
internal sealed class ConnectionWriter
{
    private readonly PipeWriter _output;
    private readonly OverflowBuffer _overflow = new();
    private bool _flushPending;
    private bool _flushing;
    private bool _dirty;
    private bool _completed;
    private bool _outputCompleted;

    public ConnectionWriter(PipeWriter output) => _output = output;

    /// <summary>The lock that guards the output and the send-side flow-control state.</summary>
    public object SyncRoot { get; } = new();

    /// <summary>True once the output is closed; later writes are dropped.</summary>
    public bool IsCompletedUnsynchronized => _completed;

    /// <summary>Where frame writers write; only with <see cref="SyncRoot"/> held.</summary>
    public IBufferWriter<byte> OutputUnsynchronized => _flushPending ? _overflow : _output;

    /// <summary>Called after frames were written under the lock: returns true when the caller must start the flush loop (outside the lock).</summary>
    public bool CommitUnsynchronized()
    {
        if (_flushing)
        {
            _dirty = true;
            return false;
        }

        _flushing = true;
        return true;
    }

    /// <summary>Writes one frame through <paramref name="write"/> and flushes.</summary>
    public void Write<TState>(TState state, Action<IBufferWriter<byte>, TState> write)
    {
        bool flush;
        lock (SyncRoot)
        {
            if (_completed)
            {
                return;
            }

            write(OutputUnsynchronized, state);
            flush = CommitUnsynchronized();
        }

        if (flush)
        {
            _ = FlushLoopAsync();
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

    public void WriteGoAway(uint lastStreamId, ErrorCode code, string message) =>
        Write((lastStreamId, code, message), static (o, s) => FrameWriter.WriteGoAway(o, s.lastStreamId, s.code, s.message));

    /// <summary>Starts the flush loop after <see cref="CommitUnsynchronized"/> returned true.</summary>
    public void StartFlush() => _ = FlushLoopAsync();

    private async Task FlushLoopAsync()
    {
        while (true)
        {
            ValueTask<FlushResult> pending;
            lock (SyncRoot)
            {
                if (_completed)
                {
                    _flushing = false;
                    return;
                }

                _dirty = false;
                if (_overflow.Length > 0)
                {
                    _overflow.MoveTo(_output);
                }

                pending = _output.FlushAsync();
                _flushPending = !pending.IsCompleted;
            }

            bool ended;
            try
            {
                FlushResult result = await pending.ConfigureAwait(false);
                ended = result.IsCompleted || result.IsCanceled;
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // The transport is gone; the read loop sees the same and closes the connection.
                ended = true;
            }

            lock (SyncRoot)
            {
                // Keep frame order: once _flushPending is false, writers write straight into the
                // pipe, so frames still waiting in the overflow (older) must go in first, under the
                // same lock. (Moving them only at the next iteration let a newer frame overtake them.)
                if (_overflow.Length > 0)
                {
                    _overflow.MoveTo(_output);
                    _dirty = true;
                }

                _flushPending = false;
                if (ended)
                {
                    _completed = true;
                }

                if (ended || (!_dirty && _overflow.Length == 0))
                {
                    _flushing = false;
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Completes the output; bytes already written are committed and delivered (completing a pipe
    /// writer commits them), so no second flush races the flush loop. Later writes are dropped.
    /// </summary>
    public ValueTask CompleteAsync(Exception? error = null)
    {
        lock (SyncRoot)
        {
            if (_outputCompleted)
            {
                return ValueTask.CompletedTask;
            }

            _completed = true;
            _outputCompleted = true;
            if (!_flushPending && _overflow.Length > 0)
            {
                _overflow.MoveTo(_output);
            }
        }

        return _output.CompleteAsync(error);
    }
}
