using System.Buffers;
using Gatehouse.Protocol;
using Gatehouse.Transport.Internal;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// Flow control (docs/protocol.md section 3): the writing of DATA within the windows, and what a
/// WINDOW_UPDATE does. The window arithmetic and the waiters live in their own types
/// (<see cref="ConnectionSendCredit"/>, <see cref="StreamSendCredit"/>,
/// <see cref="ConnectionReceiveWindow"/>, <see cref="StreamReceiveWindow"/>). Send side: a
/// connection window and one window per stream, both guarded by the writer's lock, so checking
/// credit and writing the frame is atomic;
/// whatever the peer's windows allow, DATA also waits while <see cref="MuxOptions.MaxBufferedOutput"/>
/// bytes are queued in the writer, or while the shared <see cref="BufferBudget"/> is spent.
/// Receive side: the read loop charges both windows; stream credit comes back when the consumer
/// takes the bytes; connection credit comes back at once while the connection's unconsumed bytes
/// stay within <see cref="MuxOptions.MaxBufferedInput"/>, and as consumers take data beyond it.
/// </summary>
public sealed partial class MuxConnection
{
    // Send side: the connection window and the writers waiting for connection-wide room (writer's lock).
    private readonly ConnectionSendCredit _sendCredit;

    // Receive side: the connection window and the bytes held for consumers.
    private readonly ConnectionReceiveWindow _receiveWindow;

    /// <summary>Read loop: charges an inbound DATA frame against the connection window.</summary>
    private void ConsumeConnectionWindow(int n)
    {
        if (!_receiveWindow.TryConsume(n))
        {
            ProtocolException.Throw(ErrorCode.FlowControlError, $"DATA of {n} bytes exceeds the connection window of {_receiveWindow.Remaining}");
        }
    }

    /// <summary>Announces connection credit the receive window gave back (0: nothing to announce).</summary>
    private void AnnounceConnectionCredit(int grant)
    {
        if (grant > 0)
        {
            Writer.WriteWindowUpdate(0, grant);
        }
    }

    /// <summary>A consumer took (or dropped) <paramref name="n"/> delivered bytes: returns withheld connection credit.</summary>
    internal void OnInboundConsumed(int n) => AnnounceConnectionCredit(_receiveWindow.Consumed(n));

    /// <summary>Unconsumed received bytes held for this connection's streams (a gauge for tests and metrics).</summary>
    public long InboundHeld => _receiveWindow.Held;

    /// <summary>Bytes queued for the peer and not yet sent (approximate).</summary>
    public long OutboundQueued => Writer.BufferedApprox;

    /// <summary>
    /// A WINDOW_UPDATE. An increment of 0 or a window pushed past 2^31-1 is a FLOW_CONTROL_ERROR:
    /// a connection error on stream 0, a stream error (only that stream ends) otherwise.
    /// </summary>
    private void OnWindowUpdate(uint streamId, int increment)
    {
        if (streamId == 0)
        {
            switch (_sendCredit.Grant(increment))
            {
                case CreditGrant.ZeroIncrement:
                    ProtocolException.Throw(ErrorCode.FlowControlError, "WINDOW_UPDATE of 0 on the connection");
                    break;
                case CreditGrant.Overflow:
                    ProtocolException.Throw(ErrorCode.FlowControlError, "Connection window pushed past 2^31-1");
                    break;
            }

            return;
        }

        if (!_streams.TryGetValue(streamId, out var target))
        {
            CheckClosedStreamId(streamId, Protocol.FrameType.WindowUpdate);
            return;
        }

        CreditGrant result;
        lock (Writer.SyncRoot)
        {
            result = target.SendCredit.Grant(increment);
        }

        switch (result)
        {
            case CreditGrant.Granted:
                target.WakeWriter();
                break;
            case CreditGrant.ZeroIncrement:
                ResetStream(target, ErrorCode.FlowControlError, $"WINDOW_UPDATE of 0 on stream {streamId}");
                break;
            case CreditGrant.Overflow:
                ResetStream(target, ErrorCode.FlowControlError, $"Window of stream {streamId} pushed past 2^31-1");
                break;
        }
    }

    /// <summary>
    /// A stream error (docs/protocol.md section 5): ends only <paramref name="stream"/>, with a
    /// STATUS from a responder or a CANCEL from a requester; the connection stays.
    /// </summary>
    private void ResetStream(MuxStream stream, ErrorCode code, string message)
    {
        Log.StreamReset(_logger, Name, stream.Id, code, message);
        var status = CallStatus.Error(code, message);
        if (stream.IsLocal)
        {
            stream.Abandon(status);
        }
        else
        {
            stream.Fail(status);
        }
    }

    /// <summary>Wakes every writer waiting for connection credit, buffer room or budget (they check again).</summary>
    internal void WakeCreditWaiters() => _sendCredit.WakeAll();

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
                        wait = stream.SendCredit.Wait();
                        if (blocked != SendBlock.StreamWindow)
                        {
                            // Woken by a connection WINDOW_UPDATE, a completed send, or budget freed elsewhere.
                            _sendCredit.AddWaiterUnsynchronized(stream);
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
            long streamWindow = stream.SendCredit.Window;
            long connectionWindow = _sendCredit.WindowUnsynchronized;
            long available = Math.Min(Math.Min(streamWindow, connectionWindow), Math.Min(maxChunk, room));
            if (available <= 0)
            {
                blocked = streamWindow <= 0 ? SendBlock.StreamWindow
                    : connectionWindow <= 0 ? SendBlock.ConnectionWindow
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
            stream.SendCredit.Consume(n);
            _sendCredit.ConsumeUnsynchronized(n);
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
        if (IsClosing)
        {
            throw new ConnectionClosedException(CloseReason);
        }

        throw new OperationCanceledException($"Stream {stream.Id} has ended", stream.Aborted);
    }
}
