using System.Buffers;
using Gatehouse.Protocol;
using Gatehouse.Transport.Internal;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// One request on a <see cref="MuxConnection"/>, seen from either end. The side that opened it
/// (the requester) writes stdin and reads output and the final status; the other side (the
/// responder) reads stdin and writes output and exactly one status.
/// Reading is single-consumer; writing may come from several tasks (each frame is atomic).
/// </summary>
public sealed class MuxStream : ICreditWaiter
{
    private readonly MuxConnection _connection;

    // Both made on first use: a spliced or sink-fed stream never needs its queue, and a token
    // nobody asked for is never cancelled.
    private StreamQueue? _inbound;
    private CancellationTokenSource? _aborted;
    private int _abortRequested;

    // Send side, guarded by the connection writer's lock (a field: the struct is changed in place).
    internal StreamSendCredit SendCredit;
    private bool _localEnded;

    // Receive side (Interlocked).
    private StreamReceiveWindow _receiveWindow;
    private int _finished;

    // Set once by AttachSink (under this stream's lock); afterwards events bypass the queue.
    private IStreamSink? _sink;

    internal MuxStream(MuxConnection connection, uint id, RequestHeader header, bool isLocal, long sendWindow, int recvWindow)
    {
        _connection = connection;
        Id = id;
        Header = header;
        IsLocal = isLocal;
        SendCredit = new StreamSendCredit(sendWindow);
        _receiveWindow = new StreamReceiveWindow(recvWindow);
    }

    /// <summary>Stream id on the wire.</summary>
    public uint Id { get; }

    /// <summary>The request this stream carries.</summary>
    public RequestHeader Header { get; }

    /// <summary>True when this side opened the stream (this side is the requester).</summary>
    public bool IsLocal { get; }

    /// <summary>The connection the stream belongs to.</summary>
    public MuxConnection Connection => _connection;

    /// <summary>
    /// Responder side: fires when the requester sent CANCEL or the connection died; the handler
    /// must stop. Requester side: fires when the connection died.
    /// </summary>
    public CancellationToken Aborted
    {
        get
        {
            var cts = LazyInitializer.EnsureInitialized(ref _aborted, static () => new CancellationTokenSource());
            if (IsAborted)
            {
                // Abort may have run before the source existed (both sides fence: Interlocked);
                // cancelling a cancelled source again does nothing.
                CancelQuietly(cts);
            }

            return cts.Token;
        }
    }

    /// <summary>True once <see cref="Aborted"/> has fired (without creating its token source).</summary>
    internal bool IsAborted => Volatile.Read(ref _abortRequested) != 0;

    /// <summary>The code of the CANCEL that aborted this stream, if any.</summary>
    public ErrorCode? CancelCode { get; private set; }

    /// <summary>True once this stream is finished (status sent or received, or connection gone).</summary>
    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    /// <summary>
    /// What a read past the end of a stream returns when its connection has not closed (this side
    /// sent its STATUS, or a stream error ended the stream): error CANCELLED, "The stream has ended".
    /// </summary>
    public static CallStatus StreamEnded { get; } = CallStatus.Error(ErrorCode.Cancelled, "The stream has ended");

    /// <summary>
    /// Reads the next event. Data events must be passed back to <see cref="Release"/>.
    /// A requester's last event is its final <see cref="StreamEventKind.Status"/> (the connection's
    /// close reason when the connection died first). Reading past the last event never throws and
    /// never waits: it returns a <see cref="StreamEventKind.Status"/> event again, carrying
    /// <see cref="MuxConnection.CloseReason"/> if the connection has closed, else
    /// <see cref="StreamEnded"/>; so on either side a loop that stops at a Status event always ends,
    /// and a responder reading stdin sees a Status event (not END_STREAM) when its stream ended early.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while waiting.</exception>
    /// <exception cref="InvalidOperationException">Another read of this stream is already waiting.</exception>
    public ValueTask<StreamEvent> ReadAsync(CancellationToken cancellationToken = default) => Inbound.ReadAsync(this, cancellationToken);

    /// <summary>
    /// Requester: reads every event up to the final status and returns that status (the
    /// connection's close reason when the connection died first; see <see cref="ReadAsync"/>). Each
    /// data event is passed to <paramref name="onOutput"/> (when given) and released once it
    /// returns, so the event's <see cref="StreamEvent.Data"/> is valid only during the call; other
    /// events are skipped. <paramref name="cancellationToken"/> is passed to the callback and stops
    /// the reading (with <see cref="OperationCanceledException"/>); it does not cancel the request.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<CallStatus> ReadToStatusAsync(Func<StreamEvent, CancellationToken, ValueTask>? onOutput = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var item = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (item.Kind == StreamEventKind.Status)
            {
                return item.Status;
            }

            try
            {
                if (onOutput is not null && item.Kind == StreamEventKind.Data)
                {
                    await onOutput(item, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                Release(item);
            }
        }
    }

    /// <summary>What a read past the end returns: the connection's close reason once it closed, else <see cref="StreamEnded"/>.</summary>
    internal CallStatus EndStatus => _connection.IsClosing ? _connection.CloseReason : StreamEnded;

    /// <summary>Tries to read an event without waiting.</summary>
    public bool TryRead(out StreamEvent item)
    {
        item = default;
        return Volatile.Read(ref _inbound) is { } inbound && inbound.TryRead(out item);
    }

    /// <summary>Looks at the next event without taking it.</summary>
    public bool TryPeek(out StreamEvent item)
    {
        item = default;
        return Volatile.Read(ref _inbound) is { } inbound && inbound.TryPeek(out item);
    }

    private StreamQueue Inbound => LazyInitializer.EnsureInitialized(ref _inbound, static () => new StreamQueue());

    /// <summary>No more events: readers drain what is queued, then see the end (<see cref="EndStatus"/>).</summary>
    private void CompleteInbound()
    {
        (Interlocked.CompareExchange(ref _inbound, StreamQueue.Completed, null) ?? StreamQueue.Completed).Complete(this);
    }

    /// <summary>
    /// From now on every inbound event goes to <paramref name="sink"/> instead of the queue; events
    /// already queued are handed to it first, in order.
    /// </summary>
    internal void AttachSink(IStreamSink sink)
    {
        lock (this)
        {
            while (TryRead(out var item))
            {
                switch (item.Kind)
                {
                    case StreamEventKind.Data:
                        sink.OnData(this, item.OutStream, new ReadOnlySequence<byte>(item.Buffer!, 0, item.Length));
                        ArrayPool<byte>.Shared.Return(item.Buffer!);
                        break;
                    case StreamEventKind.EndOfInput:
                        sink.OnEndOfInput(this);
                        break;
                    case StreamEventKind.Status:
                        sink.OnStatus(this, item.Status);
                        break;
                }
            }

            Volatile.Write(ref _sink, sink);
        }

        if (IsAborted)
        {
            sink.OnAborted(this);
        }
    }

    /// <summary>Returns a data event's buffer to the pool and its bytes as credit to the sender.</summary>
    public void Release(in StreamEvent item)
    {
        if (item.Buffer is null)
        {
            return;
        }

        ArrayPool<byte>.Shared.Return(item.Buffer);
        ReturnCredit(item.Length);
    }

    /// <summary>Returns <paramref name="bytes"/> of stream credit, batching WINDOW_UPDATEs to half a window.</summary>
    internal void ReturnCredit(int bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        // The connection's share comes back even after the stream finished.
        _connection.OnInboundConsumed(bytes);
        if (IsFinished)
        {
            return;
        }

        int grant = _receiveWindow.Return(bytes);
        if (grant > 0)
        {
            _connection.Writer.WriteWindowUpdate(Id, grant);
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> on output stream <paramref name="outStream"/> (stdin: 0),
    /// split into frames that fit the peer's frame size and waiting for credit as needed.
    /// <paramref name="endStream"/> (requester only) ends stdin after the data.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled, or the stream was aborted.</exception>
    /// <exception cref="InvalidOperationException">The stream already ended on this side.</exception>
    public ValueTask WriteAsync(byte outStream, ReadOnlyMemory<byte> data, bool endStream = false, CancellationToken cancellationToken = default) =>
        _connection.WriteDataAsync(this, outStream, data, endStream, cancellationToken);

    /// <summary>Requester: ends stdin.</summary>
    public ValueTask CompleteInputAsync(CancellationToken cancellationToken = default) =>
        WriteAsync(0, ReadOnlyMemory<byte>.Empty, endStream: true, cancellationToken);

    /// <summary>Responder: sends the one final status and forgets the stream. Later calls are ignored.</summary>
    /// <returns>True when this call sent the status.</returns>
    public bool Complete(in CallStatus status)
    {
        if (IsLocal)
        {
            throw new InvalidOperationException("Only the responder sends a STATUS");
        }

        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return false;
        }

        _connection.Writer.WriteStatus(Id, status);
        _connection.OnStreamFinished(this);
        Drain();
        return true;
    }

    /// <summary>
    /// Responder, on a stream error (a bad WINDOW_UPDATE): sends <paramref name="status"/> as the
    /// STATUS and aborts the handler, whose own status is then ignored.
    /// </summary>
    internal void Fail(in CallStatus status)
    {
        if (Complete(status))
        {
            Abort();
        }
    }

    /// <summary>Requester: abandons the request. The responder still answers with a STATUS, which ends the stream.</summary>
    public void Cancel(ErrorCode code = ErrorCode.Cancelled)
    {
        if (!IsLocal || IsFinished)
        {
            return;
        }

        _connection.Writer.WriteCancel(Id, code);
    }

    /// <summary>
    /// Requester: gives up on the request without waiting for the peer: sends CANCEL with
    /// <paramref name="status"/>'s code and ends the stream locally with <paramref name="status"/>.
    /// A STATUS that arrives later is ignored. Used when a deadline passed and the peer is silent.
    /// </summary>
    public void Abandon(in CallStatus status)
    {
        if (!IsLocal)
        {
            throw new InvalidOperationException("Only the requester abandons a request");
        }

        if (IsFinished)
        {
            return;
        }

        _connection.Writer.WriteCancel(Id, status.IsError ? status.ErrorCode : ErrorCode.Cancelled);
        OnStatus(status);
    }

    internal bool LocalEndedUnsynchronized
    {
        get => _localEnded;
        set => _localEnded = value;
    }

    /// <summary>Read loop: charges inbound DATA against this stream's receive window.</summary>
    /// <exception cref="ProtocolException">The peer sent more than the credit it was given.</exception>
    internal void ConsumeReceiveWindow(int n)
    {
        if (!_receiveWindow.TryConsume(n))
        {
            ProtocolException.Throw(ErrorCode.FlowControlError, $"DATA on stream {Id} exceeds the credit granted for it");
        }
    }

    /// <summary>Read loop: inbound DATA, to the sink or the queue.</summary>
    internal void DeliverData(byte outStream, in ReadOnlySequence<byte> data) =>
        SinkOrQueue((outStream, data), static s => StreamEvent.ForData(s.outStream, s.data))?.OnData(this, outStream, data);

    /// <summary>Read loop: the requester ended stdin.</summary>
    internal void DeliverEndOfInput() =>
        SinkOrQueue(0, static _ => StreamEvent.EndOfInput)?.OnEndOfInput(this);

    /// <summary>
    /// Returns the sink, or queues the event <paramref name="make"/> builds and returns null. The
    /// queue's lock keeps <see cref="AttachSink"/> from running in between, so no event is lost or
    /// reordered; the event is built only when it is queued (data is copied only then).
    /// <paramref name="last"/>: nothing follows (the queue is completed after it).
    /// </summary>
    private IStreamSink? SinkOrQueue<TState>(TState state, Func<TState, StreamEvent> make, bool last = false)
    {
        var sink = Volatile.Read(ref _sink);
        if (sink is not null)
        {
            return sink;
        }

        lock (this)
        {
            if (_sink is null)
            {
                Enqueue(make(state));
                if (last)
                {
                    CompleteInbound();
                }
            }

            return _sink;
        }
    }

    /// <summary>Queues an inbound event.</summary>
    internal void Enqueue(in StreamEvent item)
    {
        if (!Inbound.TryWrite(item) && item.Buffer is not null)
        {
            // The stream is finished: nobody will read it; give the buffer and the connection's credit back.
            ArrayPool<byte>.Shared.Return(item.Buffer);
            _connection.OnInboundConsumed(item.Length);
        }
    }

    /// <summary>Read loop: the requester cancelled this stream.</summary>
    internal void OnCancelled(ErrorCode code)
    {
        CancelCode = code;
        Abort();
    }

    /// <summary>Requester side: the final status arrived (or was synthesised).</summary>
    internal void OnStatus(in CallStatus status)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        _connection.OnStreamFinished(this);
        SinkOrQueue(status, static s => StreamEvent.ForStatus(s), last: true)?.OnStatus(this, status);
        WakeWriter();
    }

    /// <summary>The connection died: the requester gets <paramref name="status"/>, the responder is aborted.</summary>
    internal void OnConnectionLost(in CallStatus status)
    {
        if (IsLocal)
        {
            OnStatus(status);
        }
        else
        {
            Interlocked.Exchange(ref _finished, 1);
            CompleteInbound();
        }

        Abort();
    }

    private void Abort()
    {
        Interlocked.Exchange(ref _abortRequested, 1);
        if (Volatile.Read(ref _aborted) is { } cts)
        {
            CancelQuietly(cts);
        }

        Volatile.Read(ref _sink)?.OnAborted(this);
        WakeWriter();
    }

    private static void CancelQuietly(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (AggregateException)
        {
            // A callback registered on Aborted threw; the stream is ending either way.
        }
    }

    void ICreditWaiter.WakeWriter() => WakeWriter();

    /// <summary>Wakes this stream's writer if it waits for room (it checks again).</summary>
    internal void WakeWriter()
    {
        TaskCompletionSource? waiter;
        lock (_connection.Writer.SyncRoot)
        {
            waiter = SendCredit.TakeWaiter();
        }

        waiter?.TrySetResult();
    }

    /// <summary>Returns pooled buffers still queued after the stream finished.</summary>
    private void Drain()
    {
        CompleteInbound();
        if (Volatile.Read(ref _inbound)?.ReturnBuffers() is > 0 and var dropped)
        {
            _connection.OnInboundConsumed((int)Math.Min(dropped, int.MaxValue));
        }
    }
}
