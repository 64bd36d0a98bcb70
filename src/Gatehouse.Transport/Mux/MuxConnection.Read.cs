using System.Buffers;
using System.IO.Pipelines;
using Gatehouse.Protocol;
using Gatehouse.Transport.Internal;

namespace Gatehouse.Transport.Mux;

/// <summary>The read loop: owns the transport's <see cref="PipeReader"/>; parses and dispatches frames.</summary>
public sealed partial class MuxConnection
{
    private uint _pendingHeaderStream;
    private ArrayBufferWriter<byte>? _pendingHeader;
    private FrameFlags _pendingHeaderFlags;

    // Flushes of other connections this read loop relayed frames to; started after each read.
    private readonly FlushBatch _batch = new();

    private async Task ReadLoopAsync()
    {
        PipeReader input = _input;
        CallStatus reason = CallStatus.Error(ErrorCode.BackendFailed, "Connection closed by the peer");
        bool sendGoAway = false;
        try
        {
            long replyLimit = (long)_options.MaxBufferedOutput + MuxOptions.ControlOutputAllowance;
            while (true)
            {
                if (Writer.BufferedApprox > replyLimit)
                {
                    // The peer sends faster than it reads our replies: stop reading until they drain
                    // (or the write timeout closes the connection).
                    await Writer.WaitForRoomAsync(replyLimit).ConfigureAwait(false);
                }

                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    Interlocked.Exchange(ref _lastReadTicks, Environment.TickCount64);
                    try
                    {
                        _batch.Enter();
                        while (FrameReader.TryReadFrame(ref buffer, _options.Settings.MaxFrameSize, out FrameHeader header, out ReadOnlySequence<byte> payload))
                        {
                            ProcessFrame(header, payload);
                        }
                    }
                    finally
                    {
                        // Even after a protocol error: a writer left waiting for its flush would stall.
                        _batch.Run();
                    }

                    if (result.IsCompleted)
                    {
                        if (!buffer.IsEmpty)
                        {
                            reason = CallStatus.Error(ErrorCode.ProtocolError, "Connection closed in the middle of a frame");
                        }

                        break;
                    }
                }
                finally
                {
                    // Consumed up to the last whole frame; examined everything so the next read waits for more.
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (ProtocolException ex)
        {
            reason = CallStatus.Error(ex.Code, ex.Message);
            sendGoAway = true;
            Log.ProtocolViolation(_logger, Name, ex.Code, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            reason = CallStatus.Error(ErrorCode.BackendFailed, "Connection lost: " + ex.Message);
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            await CloseAsync(reason, sendGoAway).ConfigureAwait(false);
        }
    }

    private void ProcessFrame(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (_pendingHeader is not null && (header.Type != FrameType.Request || header.StreamId != _pendingHeaderStream))
        {
            ProtocolException.Throw(ErrorCode.ProtocolError, $"{header.Type} frame on stream {header.StreamId} inside the header block of stream {_pendingHeaderStream}");
        }

        if (!_peerHello.Task.IsCompleted && header.Type is not (FrameType.Hello or FrameType.GoAway))
        {
            ProtocolException.Throw(ErrorCode.ProtocolError, $"{header.Type} frame before HELLO");
        }

        switch (header.Type)
        {
            case FrameType.Hello:
                OnHello(payload);
                break;
            case FrameType.Request:
                OnRequest(header, payload);
                break;
            case FrameType.Data:
                OnData(header, payload);
                break;
            case FrameType.Status:
                OnStatusFrame(header, payload);
                break;
            case FrameType.WindowUpdate:
                OnWindowUpdate(header.StreamId, ControlPayloads.ReadWindowUpdate(payload));
                break;
            case FrameType.Cancel:
                OnCancel(header.StreamId, ControlPayloads.ReadCancel(payload));
                break;
            case FrameType.Ping:
                OnPing(header, ControlPayloads.ReadPing(payload));
                break;
            case FrameType.GoAway:
                OnGoAway(ControlPayloads.ReadGoAway(payload));
                break;
            case FrameType.Identity:
                OnIdentity(payload);
                break;
        }
    }

    private void OnHello(in ReadOnlySequence<byte> payload)
    {
        if (_peerHello.Task.IsCompleted)
        {
            ProtocolException.Throw(ErrorCode.ProtocolError, "Second HELLO");
        }

        var settings = ControlPayloads.ReadHello(payload);
        PeerSettings = settings;
        _sendCredit.SetInitial(settings.ConnectionWindow);

        _openSlots = new SemaphoreSlim(settings.MaxConcurrentStreams, settings.MaxConcurrentStreams);
        _peerHello.TrySetResult(settings);
    }

    private bool IsRemoteId(uint id) => ((id & 1) == 1) != IsDialer;

    private void OnRequest(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        uint id = header.StreamId;
        if (_pendingHeader is null)
        {
            if (!IsRemoteId(id) || id <= _highestRemoteId)
            {
                ProtocolException.Throw(ErrorCode.ProtocolError, $"REQUEST on stream {id}: the id must be new, increasing and of the peer's parity");
            }

            _highestRemoteId = id;
            if (!header.Has(FrameFlags.EndHeaders))
            {
                _pendingHeader = new ArrayBufferWriter<byte>((int)Math.Min(payload.Length * 2, _options.Settings.MaxHeaderSize));
                _pendingHeaderStream = id;
                _pendingHeaderFlags = header.Flags;
                AppendHeader(payload);
                return;
            }

            AcceptRequest(id, header.Flags, payload);
            return;
        }

        AppendHeader(payload);
        if (header.Has(FrameFlags.EndHeaders))
        {
            var block = new ReadOnlySequence<byte>(_pendingHeader.WrittenMemory);
            var flags = _pendingHeaderFlags;
            _pendingHeader = null;
            AcceptRequest(id, flags, block);
        }
    }

    private void AppendHeader(in ReadOnlySequence<byte> payload)
    {
        var pending = _pendingHeader!;
        if (pending.WrittenCount + payload.Length > _options.Settings.MaxHeaderSize)
        {
            ProtocolException.Throw(ErrorCode.TooMuchData, $"Header block of stream {_pendingHeaderStream} exceeds MAX_HEADER_SIZE {_options.Settings.MaxHeaderSize}");
        }

        foreach (var segment in payload)
        {
            pending.Write(segment.Span);
        }
    }

    private void AcceptRequest(uint id, FrameFlags flags, in ReadOnlySequence<byte> block)
    {
        if (block.Length > _options.Settings.MaxHeaderSize)
        {
            ProtocolException.Throw(ErrorCode.TooMuchData, $"Header block of stream {id} exceeds MAX_HEADER_SIZE {_options.Settings.MaxHeaderSize}");
        }

        RequestHeader request;
        try
        {
            // Made on the first request: connections that never receive one (clients) skip it.
            request = RequestHeaderCodec.Read(block, _options.Settings.MaxArguments, id, _headerStrings ??= new HeaderStringCache());
        }
        catch (ProtocolException ex) when (!ex.IsConnectionError)
        {
            Writer.WriteStatus(id, CallStatus.Error(ex.Code, ex.Message));
            return;
        }

        if (Volatile.Read(ref _goingAway) != 0)
        {
            Writer.WriteStatus(id, CallStatus.Error(ErrorCode.ShuttingDown, "Connection is going away; retry on a new connection"));
            return;
        }

        if (Volatile.Read(ref _remoteOpen) >= _options.Settings.MaxConcurrentStreams)
        {
            Writer.WriteStatus(id, CallStatus.Error(ErrorCode.RefusedStream, $"More than {_options.Settings.MaxConcurrentStreams} concurrent requests"));
            return;
        }

        var handler = _onRequest;
        if (handler is null)
        {
            Writer.WriteStatus(id, CallStatus.Error(ErrorCode.Unavailable, "This peer accepts no requests"));
            return;
        }

        var stream = new MuxStream(this, id, request, isLocal: false, PeerSettings.InitialStreamWindow, _options.Settings.InitialStreamWindow);
        Interlocked.Increment(ref _remoteOpen);
        _streams[id] = stream;
        if ((flags & FrameFlags.EndStream) != 0)
        {
            stream.DeliverEndOfInput();
        }

        if (_options.DispatchInline)
        {
            handler(stream);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.handler(s.stream), (handler, stream), preferLocal: false);
        }
    }

    private void OnData(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        int n = header.Length - 1;
        ConsumeConnectionWindow(n);
        if (!_streams.TryGetValue(header.StreamId, out var stream))
        {
            CheckClosedStreamId(header.StreamId, FrameType.Data);
            AnnounceConnectionCredit(_receiveWindow.Return(n));
            return;
        }

        stream.ConsumeReceiveWindow(n);
        byte outStream = payload.FirstSpan[0];
        if (n > 0)
        {
            // Counted before delivery: a sink may consume (and return) the bytes right away.
            AnnounceConnectionCredit(_receiveWindow.Delivered(n));
            stream.DeliverData(outStream, payload.Slice(1));
        }

        if (!stream.IsLocal && header.Has(FrameFlags.EndStream))
        {
            stream.DeliverEndOfInput();
        }
    }

    private void OnStatusFrame(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        var status = ControlPayloads.ReadStatus(payload, header.StreamId);
        if (_streams.TryGetValue(header.StreamId, out var stream))
        {
            if (!stream.IsLocal)
            {
                ProtocolException.Throw(ErrorCode.ProtocolError, $"STATUS on stream {header.StreamId}, which the peer opened");
            }

            stream.OnStatus(status);
            return;
        }

        CheckClosedStreamId(header.StreamId, FrameType.Status);
    }

    private void OnCancel(uint id, ErrorCode code)
    {
        if (_streams.TryGetValue(id, out var stream))
        {
            if (stream.IsLocal)
            {
                ProtocolException.Throw(ErrorCode.ProtocolError, $"CANCEL on stream {id}, which this side opened");
            }

            stream.OnCancelled(code);
            return;
        }

        CheckClosedStreamId(id, FrameType.Cancel);
    }

    private void OnPing(in FrameHeader header, ulong opaque)
    {
        if (header.Has(FrameFlags.Ack))
        {
            Interlocked.CompareExchange(ref _outstandingPing, 0, opaque);
            return;
        }

        Writer.WritePing(opaque, ack: true);
    }

    /// <summary>
    /// IDENTITY (section 2.9): only a listener sends it, and only to a dialer whose HELLO asked for it.
    /// The statement is kept and handed to <see cref="IdentityNoticeReceived"/>; verifying it is the
    /// receiver's (the frame layer knows nothing of keys).
    /// </summary>
    private void OnIdentity(in ReadOnlySequence<byte> payload)
    {
        if (!IsDialer || !_options.Settings.AcceptsIdentityNotices)
        {
            ProtocolException.Throw(ErrorCode.ProtocolError, IsDialer ? "IDENTITY frame, but this side's HELLO did not set IDENTITY_NOTICES" : "IDENTITY frame from the dialing side");
        }

        byte[] statement = payload.ToArray();
        Volatile.Write(ref _identityNotice, statement);
        try
        {
            IdentityNoticeReceived?.Invoke(this, statement);
        }
        catch (Exception ex)
        {
            // A handler's bug must not end the read loop.
            Log.IdentityNoticeHandlerFailed(_logger, Name, ex);
        }
    }

    private void OnGoAway(GoAway goAway)
    {
        Log.GoAwayReceived(_logger, Name, goAway.Code, goAway.Message);
        if (!_peerHello.Task.IsCompleted)
        {
            _peerHello.TrySetException(new ConnectionRefusedException(goAway.Code, string.IsNullOrEmpty(goAway.Message) ? ErrorCodes.Describe(goAway.Code) : goAway.Message));
            ObservePeerHello();
        }

        var code = goAway.Code == ErrorCode.NoError ? ErrorCode.ShuttingDown : goAway.Code;
        CloseReason = CallStatus.Error(code, string.IsNullOrEmpty(goAway.Message) ? ErrorCodes.Describe(code) : goAway.Message);
        Interlocked.Exchange(ref _goingAway, 1);

        // Our streams the peer never saw will not be served: fail them now so callers can retry.
        foreach (var stream in _streams.Values)
        {
            if (stream.IsLocal && stream.Id > goAway.LastStreamId)
            {
                stream.OnStatus(CallStatus.Error(ErrorCode.ShuttingDown, "Not processed: the peer is going away"));
            }
        }

        if (_streams.IsEmpty)
        {
            _ = CloseAsync(CloseReason, sendGoAway: false);
        }
    }

    /// <summary>Frames for a stream that is no longer open are ignored; ids never opened are a protocol error.</summary>
    private void CheckClosedStreamId(uint id, FrameType type)
    {
        bool seen = IsRemoteId(id) ? id <= _highestRemoteId : id < Volatile.Read(ref _nextLocalId);
        if (!seen)
        {
            ProtocolException.Throw(ErrorCode.ProtocolError, $"{type} frame on stream {id}, which was never opened");
        }
    }
}
