using System.Buffers;
using Gatehouse.Protocol;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// Flow control (docs/protocol.md section 3). Send side: a connection window and one window per
/// stream, both guarded by the writer's lock, so checking credit and writing the frame is atomic.
/// Receive side: the read loop charges both windows and returns connection credit as soon as the
/// bytes sit in the stream's queue; stream credit comes back when the application releases them.
/// </summary>
public sealed partial class MuxConnection
{
    private long _connSendWindow;
    private readonly List<MuxStream> _connCreditWaiters = [];

    // Read-loop only.
    private int _connRecvWindow;
    private int _connUnreturned;

    /// <summary>Read loop: charges an inbound DATA frame against the connection window.</summary>
    private void ConsumeConnectionWindow(int n)
    {
        if (n > _connRecvWindow)
        {
            ProtocolException.Throw(ErrorCode.FlowControlError, $"DATA of {n} bytes exceeds the connection window of {_connRecvWindow}");
        }

        _connRecvWindow -= n;
    }

    /// <summary>Read loop: returns connection credit, in WINDOW_UPDATEs of at least half the window.</summary>
    private void ReturnConnectionCredit(int n)
    {
        _connUnreturned += n;
        if (_connUnreturned >= _options.Settings.ConnectionWindow / 2)
        {
            int grant = _connUnreturned;
            _connUnreturned = 0;
            _connRecvWindow += grant;
            Writer.WriteWindowUpdate(0, grant);
        }
    }

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

    private void WakeAllCreditWaiters()
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
                    int n = WriteDataFramesUnsynchronized(stream, outStream, new ReadOnlySequence<byte>(chunk), endStream && chunk.Length == data.Length, maxChunk);
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
                        if (_connSendWindow <= 0)
                        {
                            _connCreditWaiters.Add(stream);
                        }
                    }
                }
            }

            if (flush)
            {
                Writer.StartFlush();
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
                written = WriteDataFramesUnsynchronized(stream, outStream, data, endStream, maxChunk);
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

    /// <summary>With the writer's lock held: DATA frames for as much of <paramref name="data"/> as both windows allow now.</summary>
    private int WriteDataFramesUnsynchronized(MuxStream stream, byte outStream, in ReadOnlySequence<byte> data, bool endStream, int maxChunk)
    {
        int written = 0;
        var rest = data;
        while (!rest.IsEmpty)
        {
            long available = Math.Min(Math.Min(stream.SendWindow, _connSendWindow), maxChunk);
            if (available <= 0)
            {
                break;
            }

            int n = (int)Math.Min(available, rest.Length);
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
