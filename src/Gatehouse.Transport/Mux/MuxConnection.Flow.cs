using System.Buffers;
using Gatehouse.Protocol;
using Gatehouse.Transport.Internal;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// Flow control (docs/protocol.md section 3). Send side: a connection window and one window per
/// stream, both guarded by the writer's lock, so checking credit and writing the frame is atomic;
/// whatever the peer's windows allow, DATA also waits while <see cref="MuxOptions.MaxBufferedOutput"/>
/// bytes are queued in the writer, or while the shared <see cref="BufferBudget"/> is spent.
/// Receive side: the read loop charges both windows; stream credit comes back when the consumer
/// takes the bytes; connection credit comes back at once while the connection's unconsumed bytes
/// stay within <see cref="MuxOptions.MaxBufferedInput"/>, and as consumers take data beyond it.
/// </summary>
public sealed partial class MuxConnection
{
    private long _connSendWindow;
    private readonly List<MuxStream> _connCreditWaiters = [];

    private int _connRecvWindow;
    private int _connUnreturned;

    // Received bytes delivered to streams and not yet consumed, and how many of them had their
    // connection credit withheld (Interlocked: consumers run on any thread).
    private long _inboundHeld;
    private long _connCreditOwed;

    /// <summary>Read loop: charges an inbound DATA frame against the connection window.</summary>
    private void ConsumeConnectionWindow(int n)
    {
        if (n > Volatile.Read(ref _connRecvWindow))
        {
            ProtocolException.Throw(ErrorCode.FlowControlError, $"DATA of {n} bytes exceeds the connection window of {_connRecvWindow}");
        }

        Interlocked.Add(ref _connRecvWindow, -n);
    }

    /// <summary>Returns connection credit, in WINDOW_UPDATEs of at least half the window (any thread).</summary>
    private void ReturnConnectionCredit(int n)
    {
        if (Interlocked.Add(ref _connUnreturned, n) >= _options.Settings.ConnectionWindow / 2)
        {
            int grant = Interlocked.Exchange(ref _connUnreturned, 0);
            if (grant > 0)
            {
                // Widen the window before telling the peer, so its DATA never arrives first.
                Interlocked.Add(ref _connRecvWindow, grant);
                Writer.WriteWindowUpdate(0, grant);
            }
        }
    }

    /// <summary>Read loop: <paramref name="n"/> bytes were handed to a stream's consumer.</summary>
    private void OnInboundDelivered(int n)
    {
        if (Interlocked.Add(ref _inboundHeld, n) <= _options.MaxBufferedInput)
        {
            ReturnConnectionCredit(n);
        }
        else
        {
            Interlocked.Add(ref _connCreditOwed, n);
        }
    }

    /// <summary>A consumer took (or dropped) <paramref name="n"/> delivered bytes: returns withheld connection credit.</summary>
    internal void OnInboundConsumed(int n)
    {
        Interlocked.Add(ref _inboundHeld, -n);
        while (true)
        {
            long owed = Interlocked.Read(ref _connCreditOwed);
            if (owed <= 0)
            {
                return;
            }

            int take = (int)Math.Min(owed, n);
            if (Interlocked.CompareExchange(ref _connCreditOwed, owed - take, owed) == owed)
            {
                ReturnConnectionCredit(take);
                return;
            }
        }
    }

    /// <summary>Unconsumed received bytes held for this connection's streams (a gauge for tests and metrics).</summary>
    public long InboundHeld => Interlocked.Read(ref _inboundHeld);

    /// <summary>Bytes queued for the peer and not yet sent (approximate).</summary>
    public long OutboundQueued => Writer.BufferedApprox;

    private void OnWindowUpdate(uint streamId, int increment)
    {
        if (increment == 0)
        {
            ProtocolException.Throw(ErrorCode.FlowControlError, $"WINDOW_UPDATE of 0 on stream {streamId}");
        }

        if (streamId == 0)
        {
            List<MuxStream> wake;
            lock (Writer.SyncRoot)
            {
                _connSendWindow += increment;
                if (_connSendWindow > ProtocolSettings.MaxWindow)
                {
                    ProtocolException.Throw(ErrorCode.FlowControlError, "Connection window pushed past 2^31-1");
                }

                wake = [.. _connCreditWaiters];
                _connCreditWaiters.Clear();
            }

            foreach (var stream in wake)
            {
                stream.WakeWriter();
            }

            return;
        }

        if (!_streams.TryGetValue(streamId, out var target))
        {
            CheckClosedStreamId(streamId, Protocol.FrameType.WindowUpdate);
            return;
        }

        lock (Writer.SyncRoot)
        {
            target.SendWindow += increment;
            if (target.SendWindow > ProtocolSettings.MaxWindow)
            {
                ProtocolException.Throw(ErrorCode.FlowControlError, $"Window of stream {streamId} pushed past 2^31-1");
            }
        }

        target.WakeWriter();
    }

    /// <summary>Wakes every writer waiting for connection credit, buffer room or budget (they check again).</summary>
    internal void WakeCreditWaiters()
    {
        List<MuxStream> wake;
        lock (Writer.SyncRoot)
        {
            wake = [.. _connCreditWaiters];
            _connCreditWaiters.Clear();
        }

        foreach (var stream in wake)
        {
            stream.WakeWriter();
        }
    }

    /// <summary>
    /// Sends <paramref name="data"/> on <paramref name="stream"/> one frame per lock acquisition, so
    /// frames of other streams interleave with a large payload; waits for credit when a window is empty.
    /// </summary>
    internal async ValueTask WriteDataAsync(MuxStream stream, byte outStream, ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken)
    {
        if (stream.IsLocal && outStream != 0)
        {
            throw new ArgumentException("A requester sends only stdin (output stream 0)", nameof(outStream));
        }

        if (!stream.IsLocal && endStream)
        {
            throw new ArgumentException("A responder ends its side with a STATUS, not END_STREAM", nameof(endStream));
        }

        int maxChunk = PeerSettings.MaxFrameSize - 1;
        while (true)
        {
            TaskCompletionSource? wait = null;
            bool flush = false;
            bool done = false;
            bool budgetSpent = false;
            lock (Writer.SyncRoot)
            {
                if (stream.IsFinished || stream.IsAborted || Writer.IsCompletedUnsynchronized)
                {
                    ThrowStreamGone(stream);
                }

                if (stream.LocalEndedUnsynchronized)
                {
                    throw new InvalidOperationException($"Stream {stream.Id}: stdin already ended");
                }

                if (data.IsEmpty)
                {
                    if (endStream)
                    {
                        Protocol.FrameWriter.WriteData(Writer.OutputUnsynchronized, stream.Id, outStream, default, endStream: true);
                        stream.LocalEndedUnsynchronized = true;
                        flush = Writer.CommitUnsynchronized();
                    }

                    done = true;
                }
                else
                {
                    // One frame per lock acquisition, so other streams' frames interleave.
                    var chunk = data[..Math.Min(data.Length, maxChunk)];
                    int n = WriteDataFramesUnsynchronized(stream, outStream, new ReadOnlySequence<byte>(chunk), endStream && chunk.Length == data.Length, maxChunk, out var blocked);
                    if (n > 0)
                    {
                        data = data[n..];
                        done = data.IsEmpty;
                        flush = Writer.CommitUnsynchronized();
                    }
                    else
                    {
                        wait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        stream.CreditWaiter = wait;
                        if (blocked != SendBlock.StreamWindow)
                        {
                            // Woken by a connection WINDOW_UPDATE, a completed send, or budget freed elsewhere.
                            _connCreditWaiters.Add(stream);
                            budgetSpent = blocked == SendBlock.Budget;
                        }
                    }
                }
            }

            if (flush)
            {
                Writer.StartFlush();
            }

            if (budgetSpent)
            {
                // Outside the writer lock: registering may wake other connections at once.
                _options.Budget!.WaitForRoom(this);
            }

            if (done)
            {
                return;
            }

            if (wait is not null)
            {
                await wait.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Writes as much of <paramref name="data"/> as the windows allow right now, without waiting
    /// (a relayed frame, from a read loop). Returns the bytes written, or -1 when the stream can
    /// take nothing more (finished, aborted, its side ended, or the connection closing).
    /// <paramref name="endStream"/> (requester only) ends stdin once all of it was written.
    /// </summary>
    internal int WriteDataNow(MuxStream stream, byte outStream, in ReadOnlySequence<byte> data, bool endStream)
    {
        int maxChunk = PeerSettings.MaxFrameSize - 1;
        int written = 0;
        bool flush = false;
        lock (Writer.SyncRoot)
        {
            if (stream.IsFinished || stream.IsAborted || Writer.IsCompletedUnsynchronized || stream.LocalEndedUnsynchronized)
            {
                return -1;
            }

            if (data.IsEmpty)
            {
                if (endStream)
                {
                    Protocol.FrameWriter.WriteData(Writer.OutputUnsynchronized, stream.Id, outStream, ReadOnlySpan<byte>.Empty, endStream: true);
                    stream.LocalEndedUnsynchronized = true;
                    flush = Writer.CommitUnsynchronized();
                }
            }
            else
            {
                written = WriteDataFramesUnsynchronized(stream, outStream, data, endStream, maxChunk, out _);
                if (written > 0)
                {
                    flush = Writer.CommitUnsynchronized();
                }
            }
        }

        if (flush)
        {
            Writer.StartFlush();
        }

        return written;
    }

    /// <summary>Why a write stopped short.</summary>
    private enum SendBlock
    {
        None,
        StreamWindow,
        ConnectionWindow,
        BufferFull,
        Budget,
    }

    /// <summary>
    /// With the writer's lock held: DATA frames for as much of <paramref name="data"/> as both
    /// windows, the writer's queue cap and the shared budget allow now; <paramref name="blocked"/>
    /// says what stopped it short.
    /// </summary>
    private int WriteDataFramesUnsynchronized(MuxStream stream, byte outStream, in ReadOnlySequence<byte> data, bool endStream, int maxChunk, out SendBlock blocked)
    {
        blocked = SendBlock.None;
        int written = 0;
        var rest = data;
        while (!rest.IsEmpty)
        {
            long room = _options.MaxBufferedOutput - Writer.BufferedUnsynchronized;
            long available = Math.Min(Math.Min(stream.SendWindow, _connSendWindow), Math.Min(maxChunk, room));
            if (available <= 0)
            {
                blocked = stream.SendWindow <= 0 ? SendBlock.StreamWindow
                    : _connSendWindow <= 0 ? SendBlock.ConnectionWindow
                    : SendBlock.BufferFull;
                if (blocked == SendBlock.BufferFull)
                {
                    Writer.RequestDrainSignalUnsynchronized();
                }

                break;
            }

            int n = (int)Math.Min(available, rest.Length);
            if (_options.Budget is { } budget)
            {
                n = budget.Reserve(n);
                if (n == 0)
                {
                    blocked = SendBlock.Budget;
                    break;
                }

                Writer.NoteReservedDataUnsynchronized(n);
            }

            bool last = n == rest.Length;
            Protocol.FrameWriter.WriteData(Writer.OutputUnsynchronized, stream.Id, outStream, rest.Slice(0, n), endStream && last);
            stream.SendWindow -= n;
            _connSendWindow -= n;
            written += n;
            rest = rest.Slice(n);
            if (last && endStream)
            {
                stream.LocalEndedUnsynchronized = true;
            }
        }

        return written;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowStreamGone(MuxStream stream)
    {
        if (Volatile.Read(ref _closeStarted) != 0)
        {
            throw new ConnectionClosedException(CloseReason);
        }

        throw new OperationCanceledException($"Stream {stream.Id} has ended", stream.Aborted);
    }
}
