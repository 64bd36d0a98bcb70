using System.Collections.Concurrent;
using System.IO.Pipelines;
using Gatehouse.Protocol;
using Gatehouse.Transport.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// A multiplexed Gatehouse connection over a <see cref="MuxTransport"/> (a TLS stream, a Kestrel
/// connection, or an in-memory pipe in tests). Either side can open request streams. A read loop parses frames
/// (<see cref="FrameReader"/>) and dispatches them; all output goes through one
/// <see cref="ConnectionWriter"/>. Split by concern: this file holds the life cycle,
/// <c>MuxConnection.Read.cs</c> the frame dispatch, <c>MuxConnection.Flow.cs</c> flow control (its state in Internal/: the send and receive windows).
/// </summary>
public sealed partial class MuxConnection : IAsyncDisposable
{
    private readonly PipeReader _input;
    private readonly MuxOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<uint, MuxStream> _streams = new();
    private readonly TaskCompletionSource<ProtocolSettings> _peerHello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private readonly Action<MuxStream>? _onRequest;
    private SemaphoreSlim? _openSlots;

    // Strings repeated across request headers (read loop only; made on the first request).
    private HeaderStringCache? _headerStrings;
    private uint _nextLocalId;
    private uint _highestRemoteId;
    private int _remoteOpen;
    private int _goingAway;
    private int _closeStarted;
    private Task? _readLoop;
    private long _lastReadTicks;
    private long _idleSinceTicks;
    private ulong _outstandingPing;
    private long _pingSentTicks;

    /// <summary>Creates a connection; call <see cref="StartAsync"/> to exchange HELLOs and start reading.</summary>
    /// <param name="transport">The byte pipe (already authenticated, e.g. an in-memory pipe in tests).</param>
    /// <param name="isDialer">True on the side that opened the TCP connection (it uses odd stream ids).</param>
    /// <param name="onRequest">Serves the streams the peer opens (see <see cref="MuxConnection(MuxTransport, bool, MuxOptions?, ILogger?, Action{MuxStream}?)"/>).</param>
    public MuxConnection(IDuplexPipe transport, bool isDialer, MuxOptions? options = null, ILogger? logger = null, Action<MuxStream>? onRequest = null)
        : this(MuxTransport.FromPipe(transport), isDialer, options, logger, onRequest)
    {
    }

    /// <summary>Creates a connection; call <see cref="StartAsync"/> to exchange HELLOs and start reading.</summary>
    /// <param name="transport">Input, output and how to close (already authenticated, e.g. a TLS stream).</param>
    /// <param name="isDialer">True on the side that opened the TCP connection (it uses odd stream ids).</param>
    /// <param name="options">Behaviour and limits; validated here (<see cref="MuxOptions.Validate"/>).</param>
    /// <param name="onRequest">
    /// Called for every stream the peer opens, from the first frame read on (a request may follow
    /// the peer's HELLO at once), on the thread pool (or the read loop, with
    /// <see cref="MuxOptions.DispatchInline"/>). The handler owns the stream and must end it with
    /// <see cref="MuxStream.Complete"/>. Null: the peer's requests are refused with UNAVAILABLE.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range.</exception>
    public MuxConnection(MuxTransport transport, bool isDialer, MuxOptions? options = null, ILogger? logger = null, Action<MuxStream>? onRequest = null)
    {
        _input = transport.Input;
        _options = (options ?? new MuxOptions()).Validate();
        _onRequest = onRequest;
        _logger = logger ?? NullLogger.Instance;
        IsDialer = isDialer;
        _nextLocalId = isDialer ? 1u : 2u;
        Writer = new ConnectionWriter(transport.Output, transport.CloseOutput, transport.Abort, WakeCreditWaiters, _options.Budget,
            onBroken: () => _ = CloseAsync(CallStatus.Error(ErrorCode.BackendFailed, "Connection lost: a write to the peer failed"), sendGoAway: false));
        _sendCredit = new ConnectionSendCredit(Writer.SyncRoot);
        _receiveWindow = new ConnectionReceiveWindow(_options.Settings.ConnectionWindow, _options.MaxBufferedInput);
        _lastReadTicks = Environment.TickCount64;
        _idleSinceTicks = _lastReadTicks;
    }

    /// <summary>True on the side that dialed.</summary>
    public bool IsDialer { get; }

    /// <summary>This side's limits.</summary>
    public ProtocolSettings LocalSettings => _options.Settings;

    /// <summary>The peer's limits (valid after <see cref="StartAsync"/>).</summary>
    public ProtocolSettings PeerSettings { get; private set; } = ProtocolSettings.Default;

    /// <summary>A label for logs.</summary>
    public string Name => _options.Name;

    /// <summary>Raised once when the connection has closed, with the reason.</summary>
    public event Action<MuxConnection, CallStatus>? Closed;

    /// <summary>Completes when the connection has closed.</summary>
    public Task Completion => _closed.Task;

    /// <summary>True once GOAWAY was sent or received, or the connection closed.</summary>
    public bool IsGoingAway => Volatile.Read(ref _goingAway) != 0 || Volatile.Read(ref _closeStarted) != 0;

    /// <summary>Streams open right now (both directions).</summary>
    public int OpenStreamCount => _streams.Count;

    /// <summary>The reason the connection closed or is closing (valid once <see cref="IsGoingAway"/>).</summary>
    public CallStatus CloseReason { get; private set; } = CallStatus.Error(ErrorCode.BackendFailed, "Connection closed");

    internal ConnectionWriter Writer { get; }

    /// <summary>True once closing started (<see cref="CloseReason"/> is final).</summary>
    internal bool IsClosing => Volatile.Read(ref _closeStarted) != 0;

    /// <summary>Arbitrary state of the owner (the gateway keeps the peer's principal here).</summary>
    public object? Tag { get; set; }

    /// <summary>
    /// Sends this side's HELLO, starts the read loop and waits for the peer's HELLO.
    /// </summary>
    /// <exception cref="ConnectionRefusedException">The peer sent GOAWAY (for example UNAUTHORIZED_PEER) instead of HELLO.</exception>
    /// <exception cref="TimeoutException">No HELLO within <see cref="MuxOptions.HelloTimeout"/>.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        Writer.Write(_options.Settings, static (o, s) => FrameWriter.WriteHello(o, s));
        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
        Heartbeat.Register(this);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.HelloTimeout);
        try
        {
            PeerSettings = await _peerHello.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await CloseAsync(CallStatus.Error(ErrorCode.HandshakeTimeout, "No HELLO from the peer in time"), sendGoAway: true).ConfigureAwait(false);
            throw new TimeoutException($"{Name}: no HELLO from the peer within {_options.HelloTimeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>
    /// Marks a failed peer HELLO as observed: when <see cref="StartAsync"/> stopped waiting for it
    /// (its token fired, or it timed out) nobody else awaits it, and an unobserved faulted task is
    /// reported when it is finalized (seen: "Connection lost: Broken pipe" from a connection a
    /// client dropped during its handshake).
    /// </summary>
    private void ObservePeerHello() => _ = _peerHello.Task.Exception;

    /// <summary>
    /// Opens a request stream and sends its REQUEST. Waits while the peer's MAX_CONCURRENT_STREAMS
    /// streams are already open.
    /// </summary>
    /// <param name="endStream">True when no stdin follows.</param>
    /// <exception cref="ConnectionClosedException">The connection is going away or closed.</exception>
    public async ValueTask<MuxStream> OpenStreamAsync(RequestHeader header, bool endStream, CancellationToken cancellationToken = default) =>
        (await OpenStreamAsync(header, default, endStream, cancellationToken).ConfigureAwait(false)).Stream;

    /// <summary>
    /// Opens a request stream and sends its REQUEST with as much of <paramref name="stdin"/> as the
    /// peer's initial windows take, in one write (a small request leaves in one TLS record);
    /// <paramref name="endStream"/> ends stdin after it when all of it fit. Returns the stream and
    /// the bytes of stdin sent; the caller writes the rest (and ends stdin) itself.
    /// </summary>
    /// <exception cref="ConnectionClosedException">The connection is going away or closed.</exception>
    public async ValueTask<(MuxStream Stream, int StdinSent)> OpenStreamAsync(RequestHeader header, ReadOnlyMemory<byte> stdin, bool endStream, CancellationToken cancellationToken = default)
    {
        var slots = _openSlots ?? throw new InvalidOperationException("StartAsync has not completed");
        if (IsGoingAway)
        {
            throw new ConnectionClosedException(CloseReason);
        }

        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var stream = OpenStreamCore(slots, header, stdin, endStream, out int sent) ?? throw new ConnectionClosedException(CloseReason);
        return (stream, sent);
    }

    /// <summary>
    /// Opens a request stream only if that needs no waiting (a stream slot is free and the
    /// connection is not going away); null otherwise.
    /// </summary>
    public MuxStream? TryOpenStream(RequestHeader header, bool endStream)
    {
        var slots = _openSlots;
        if (slots is null || IsGoingAway || !slots.Wait(0))
        {
            return null;
        }

        return OpenStreamCore(slots, header, default, endStream, out _);
    }

    /// <summary>With a slot taken: registers the stream and writes its REQUEST; null (slot released) when the connection is closing.</summary>
    private MuxStream? OpenStreamCore(SemaphoreSlim slots, RequestHeader header, ReadOnlyMemory<byte> stdin, bool endStream, out int stdinSent)
    {
        MuxStream stream;
        bool flush;
        stdinSent = 0;
        lock (Writer.SyncRoot)
        {
            if (IsGoingAway || Writer.IsCompletedUnsynchronized)
            {
                slots.Release();
                return null;
            }

            uint id = _nextLocalId;
            _nextLocalId += 2;
            stream = new MuxStream(this, id, header, isLocal: true, PeerSettings.InitialStreamWindow, _options.Settings.InitialStreamWindow);
            bool endNow = endStream && stdin.IsEmpty;
            stream.LocalEndedUnsynchronized = endNow;
            _streams[id] = stream;
            try
            {
                FrameWriter.WriteRequest(Writer.OutputUnsynchronized, id, header, endNow, PeerSettings.MaxFrameSize);
                if (!stdin.IsEmpty)
                {
                    stdinSent = WriteDataFramesUnsynchronized(stream, 0, new System.Buffers.ReadOnlySequence<byte>(stdin), endStream, PeerSettings.MaxFrameSize - 1, out _);
                }
            }
            catch
            {
                _streams.TryRemove(id, out _);
                slots.Release();
                throw;
            }

            flush = Writer.CommitUnsynchronized();
        }

        if (flush)
        {
            Writer.StartFlush();
        }

        return stream;
    }

    private byte[]? _identityNotice;

    /// <summary>The last IDENTITY statement the peer sent (a dialer's connection only), or null.</summary>
    public byte[]? IdentityNotice => Volatile.Read(ref _identityNotice);

    /// <summary>Raised on the read loop for every IDENTITY frame received (after <see cref="IdentityNotice"/> is set).</summary>
    public event Action<MuxConnection, byte[]>? IdentityNoticeReceived;

    /// <summary>
    /// Sends an IDENTITY frame (section 2.9) when this is the listening side and the peer's HELLO set
    /// IDENTITY_NOTICES; otherwise does nothing.
    /// </summary>
    /// <returns>True when the frame was queued.</returns>
    public bool TrySendIdentityNotice(byte[] statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        if (IsDialer || !_peerHello.Task.IsCompletedSuccessfully || !PeerSettings.AcceptsIdentityNotices || Volatile.Read(ref _closeStarted) != 0)
        {
            return false;
        }

        Writer.WriteIdentity(statement);
        return true;
    }

    /// <summary>Sends GOAWAY: no new streams; open ones finish. The connection closes when the last one ends.</summary>
    public void GoAway(ErrorCode code = ErrorCode.NoError, string message = "")
    {
        if (Interlocked.Exchange(ref _goingAway, 1) != 0)
        {
            return;
        }

        CloseReason = CallStatus.Error(code == ErrorCode.NoError ? ErrorCode.ShuttingDown : code, string.IsNullOrEmpty(message) ? "Peer is going away" : message);
        Writer.WriteGoAway(_highestRemoteId, code, message);
        Log.GoAwaySent(_logger, Name, code, message);
        if (_streams.IsEmpty)
        {
            _ = CloseAsync(CloseReason, sendGoAway: false);
        }
    }

    /// <summary>Sends GOAWAY and waits until open streams finish or <paramref name="timeout"/> passes, then closes.</summary>
    public async Task DrainAsync(TimeSpan timeout, string message = "Shutting down")
    {
        GoAway(ErrorCode.NoError, message);
        try
        {
            await _closed.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await CloseAsync(CallStatus.Error(ErrorCode.ShuttingDown, message), sendGoAway: false).ConfigureAwait(false);
        }
    }

    /// <summary>Closes now: open streams fail with <paramref name="reason"/>.</summary>
    public Task AbortAsync(CallStatus reason) => CloseAsync(reason, sendGoAway: true);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await CloseAsync(CallStatus.Error(ErrorCode.ShuttingDown, "Connection disposed"), sendGoAway: true).ConfigureAwait(false);
        if (_readLoop is not null)
        {
            await _readLoop.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes the connection once: optionally sends GOAWAY with the reason's code, fails every open
    /// stream with the reason, completes the output and input.
    /// </summary>
    private async Task CloseAsync(CallStatus reason, bool sendGoAway)
    {
        if (Interlocked.Exchange(ref _closeStarted, 1) != 0)
        {
            await _closed.Task.ConfigureAwait(false);
            return;
        }

        if (Volatile.Read(ref _goingAway) == 0)
        {
            CloseReason = reason;
        }

        Heartbeat.Unregister(this);
        if (sendGoAway && Interlocked.Exchange(ref _goingAway, 1) == 0)
        {
            Writer.WriteGoAway(_highestRemoteId, reason.IsError ? reason.ErrorCode : ErrorCode.NoError, reason.Message);
        }

        _peerHello.TrySetException(new ConnectionClosedException(CloseReason));
        ObservePeerHello();
        foreach (var stream in _streams.Values)
        {
            stream.OnConnectionLost(CloseReason);
        }

        _streams.Clear();
        WakeCreditWaiters();
        await Writer.CompleteAsync().ConfigureAwait(false);
        _closing.Cancel();
        try
        {
            _input.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
            // The reader was already completed by the read loop.
        }

        Log.Closed(_logger, Name, CloseReason.ToString());
        try
        {
            Closed?.Invoke(this, CloseReason);
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    /// <summary>A stream ended: free its slot, and finish a drain when it was the last one.</summary>
    internal void OnStreamFinished(MuxStream stream)
    {
        if (_streams.TryRemove(stream.Id, out _))
        {
            if (stream.IsLocal)
            {
                _openSlots?.Release();
            }
            else
            {
                Interlocked.Decrement(ref _remoteOpen);
            }
        }

        if (_streams.IsEmpty)
        {
            Interlocked.Exchange(ref _idleSinceTicks, Environment.TickCount64);
            if (Volatile.Read(ref _goingAway) != 0)
            {
                _ = CloseAsync(CloseReason, sendGoAway: false);
            }
        }
    }

    /// <summary>The heartbeat threw for this connection (a bug): log it and close the connection rather than the process.</summary>
    internal void OnHeartbeatFailed(Exception ex)
    {
        Log.HeartbeatFailed(_logger, Name, ex);
        _ = CloseAsync(CallStatus.Error(ErrorCode.Internal, "Internal error in the connection's timer"), sendGoAway: true);
    }

    /// <summary>Called about once a second by <see cref="Heartbeat"/>: keepalive pings, dead peers, idle timeout, stalled sends.</summary>
    internal void OnHeartbeat(long now)
    {
        if (Volatile.Read(ref _closeStarted) != 0 || !_peerHello.Task.IsCompletedSuccessfully)
        {
            return;
        }

        if (_options.WriteTimeout > TimeSpan.Zero && Writer.IsStalled(now, (long)_options.WriteTimeout.TotalMilliseconds))
        {
            Log.WriteTimedOut(_logger, Name, Writer.BufferedApprox, _options.WriteTimeout.TotalSeconds);
            _ = CloseAsync(CallStatus.Error(ErrorCode.Timeout, $"The peer read nothing for {_options.WriteTimeout.TotalSeconds:0.#} s"), sendGoAway: false);
            return;
        }

        int interval = Math.Min(_options.Settings.KeepAliveIntervalMs, PeerSettings.KeepAliveIntervalMs == 0 ? int.MaxValue : PeerSettings.KeepAliveIntervalMs);
        if (_options.Settings.KeepAliveIntervalMs > 0 && interval > 0)
        {
            long sinceRead = now - Interlocked.Read(ref _lastReadTicks);
            ulong outstanding = Interlocked.Read(ref _outstandingPing);
            if (outstanding != 0 && now - Interlocked.Read(ref _pingSentTicks) > interval)
            {
                _ = CloseAsync(CallStatus.Error(ErrorCode.BackendFailed, "Peer stopped answering pings"), sendGoAway: true);
                return;
            }

            if (outstanding == 0 && sinceRead > interval)
            {
                ulong opaque = (ulong)now | 1;
                Interlocked.Exchange(ref _pingSentTicks, now);
                Interlocked.Exchange(ref _outstandingPing, opaque);
                Writer.WritePing(opaque, ack: false);
            }
        }

        if (_options.InactivityTimeout > TimeSpan.Zero && _streams.IsEmpty
            && now - Interlocked.Read(ref _idleSinceTicks) > (long)_options.InactivityTimeout.TotalMilliseconds)
        {
            GoAway(ErrorCode.IdleTimeout, "Idle timeout");
        }
    }
}
