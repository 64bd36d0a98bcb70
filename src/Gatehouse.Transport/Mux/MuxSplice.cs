using System.Buffers;
using Gatehouse.Protocol;
using Gatehouse.Transport.Internal;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// Joins a caller's stream (this side responds) to an upstream stream (this side requested, on
/// another connection), as a gateway relays a request to a service: stdin goes up, output and the
/// final status come down, a CANCEL or a lost caller cancels upstream. Frames are relayed by the
/// read loops themselves, straight into the other connection's writer (no queue, no task, no
/// thread hop), while the windows allow; what does not fit waits in a small backlog drained by a
/// task as credit returns. Credit goes back to each sender only once its bytes were passed on, so
/// the relay holds at most one stream window per direction.
/// </summary>
public sealed class MuxSplice
{
    private readonly MuxStream _caller;
    private readonly MuxStream _upstream;
    private readonly ISpliceCompletion? _completion;
    private readonly TaskCompletionSource<CallStatus>? _done;
    private int _cancelled;
    private bool _outputRelayed;
    // Each direction's bytes, added by that direction's read loop only.
    private long _bytesUp;
    private long _bytesDown;

    private MuxSplice(MuxStream caller, MuxStream upstream, ISpliceCompletion? completion)
    {
        _caller = caller;
        _upstream = upstream;
        _completion = completion;
        if (completion is null)
        {
            _done = new TaskCompletionSource<CallStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>
    /// Starts relaying between <paramref name="caller"/> and <paramref name="upstream"/>.
    /// <paramref name="inputEnded"/>: the upstream stream was opened with END_STREAM (the caller
    /// sent no stdin), so the caller's end of input is not passed on again.
    /// <paramref name="completion"/>, if given, is told once when upstream's status arrived (on the
    /// thread that delivered it) instead of completing <see cref="Completion"/> asynchronously, and
    /// is then the one that sends the caller its final status (the splice does not): a gateway's
    /// request pipeline answers every request from one place. Without it the splice passes
    /// upstream's status to the caller itself. (An interface rather than a delegate: the request
    /// object itself is told, so a relayed request allocates no closure.)
    /// </summary>
    public static MuxSplice Start(MuxStream caller, MuxStream upstream, bool inputEnded, ISpliceCompletion? completion = null)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(upstream);
        if (caller.IsLocal || !upstream.IsLocal)
        {
            throw new ArgumentException("A splice joins a stream this side answers to one it requested");
        }

        var splice = new MuxSplice(caller, upstream, completion);
        upstream.AttachSink(new Forwarder(splice, upstream, caller, inputEnded: true));
        caller.AttachSink(new Forwarder(splice, caller, upstream, inputEnded));
        return splice;
    }

    /// <summary>Completes with upstream's status once it arrived (and was passed to the caller, unless the caller already had one).</summary>
    /// <exception cref="InvalidOperationException">The splice was started with a completion callback instead.</exception>
    public Task<CallStatus> Completion => _done?.Task ?? throw new InvalidOperationException("This splice reports through its callback");

    /// <summary>Input bytes passed from the caller upstream so far.</summary>
    public long BytesUp => Volatile.Read(ref _bytesUp);

    /// <summary>Output bytes passed from upstream to the caller so far.</summary>
    public long BytesDown => Volatile.Read(ref _bytesDown);

    /// <summary>True once upstream sent any output (it was passed on, or is on its way, to the caller).</summary>
    public bool OutputRelayed => Volatile.Read(ref _outputRelayed);

    /// <summary>
    /// Sends CANCEL with <paramref name="code"/> upstream (once; later calls do nothing), as when a
    /// deadline passed. The splice still ends only when upstream's status arrives.
    /// </summary>
    public void CancelUpstream(ErrorCode code)
    {
        if (Interlocked.Exchange(ref _cancelled, 1) == 0)
        {
            _upstream.Cancel(code);
        }
    }

    private void OnUpstreamStatus(in CallStatus status)
    {
        if (_completion is not null)
        {
            _completion.OnSpliceFinished(this, status);
        }
        else
        {
            _caller.Complete(status);
            _done!.TrySetResult(status);
        }
    }

    private void OnCallerGone() => CancelUpstream(_caller.CancelCode ?? ErrorCode.Cancelled);

    /// <summary>One direction: the source stream's events, written to the target stream.</summary>
    private sealed class Forwarder : IStreamSink
    {
        private readonly MuxSplice _splice;
        private readonly MuxStream _source;
        private readonly MuxStream _target;
        private readonly bool _down;
        // Made when the target first runs out of credit (most requests never do); guarded by this.
        private Queue<StreamEvent>? _backlog;
        private bool _pumping;
        private bool _inputEnded;
        private bool _targetGone;

        public Forwarder(MuxSplice splice, MuxStream source, MuxStream target, bool inputEnded)
        {
            _splice = splice;
            _source = source;
            _target = target;
            _down = source.IsLocal;
            _inputEnded = inputEnded;
        }

        private Queue<StreamEvent> Backlog => _backlog ??= new();

        public void OnData(MuxStream source, byte outStream, in ReadOnlySequence<byte> data)
        {
            int n = (int)data.Length;
            if (_down)
            {
                _splice._outputRelayed = true;
                _splice._bytesDown += n;
            }
            else
            {
                _splice._bytesUp += n;
            }

            lock (this)
            {
                if (_pumping)
                {
                    Backlog.Enqueue(StreamEvent.ForData(outStream, data));
                    return;
                }
            }

            if (_targetGone)
            {
                _source.ReturnCredit(n);
                return;
            }

            int written = _target.Connection.WriteDataNow(_target, outStream, data, endStream: false);
            if (written < 0)
            {
                TargetGone();
                _source.ReturnCredit(n);
                return;
            }

            if (written > 0)
            {
                _source.ReturnCredit(written);
            }

            if (written < n)
            {
                lock (this)
                {
                    Backlog.Enqueue(StreamEvent.ForData(outStream, data.Slice(written)));
                    _pumping = true;
                }

                _ = PumpAsync();
            }
        }

        public void OnEndOfInput(MuxStream source)
        {
            if (_inputEnded)
            {
                return;
            }

            _inputEnded = true;
            lock (this)
            {
                if (_pumping)
                {
                    Backlog.Enqueue(StreamEvent.EndOfInput);
                    return;
                }
            }

            if (!_targetGone)
            {
                _target.Connection.WriteDataNow(_target, 0, default, endStream: true);
            }
        }

        public void OnStatus(MuxStream source, in CallStatus status)
        {
            lock (this)
            {
                if (_pumping)
                {
                    Backlog.Enqueue(StreamEvent.ForStatus(status));
                    return;
                }
            }

            _splice.OnUpstreamStatus(status);
        }

        public void OnAborted(MuxStream source)
        {
            if (!_down)
            {
                // The caller cancelled or went away: tell upstream; its status still ends the splice.
                _splice.OnCallerGone();
            }
        }

        private void TargetGone()
        {
            _targetGone = true;
            if (_down)
            {
                _splice.OnCallerGone();
            }
        }

        /// <summary>Drains the backlog in order as credit returns; events that arrive meanwhile join it.</summary>
        private async Task PumpAsync()
        {
            while (true)
            {
                StreamEvent item;
                lock (this)
                {
                    if (_backlog is null || !_backlog.TryPeek(out item))
                    {
                        _pumping = false;
                        return;
                    }
                }

                switch (item.Kind)
                {
                    case StreamEventKind.Data:
                        if (!_targetGone)
                        {
                            try
                            {
                                await _target.WriteAsync(item.OutStream, item.Data).ConfigureAwait(false);
                            }
                            catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException or InvalidOperationException)
                            {
                                TargetGone();
                            }
                        }

                        _source.ReturnCredit(item.Length);
                        ArrayPool<byte>.Shared.Return(item.Buffer!);
                        break;
                    case StreamEventKind.EndOfInput:
                        if (!_targetGone)
                        {
                            _target.Connection.WriteDataNow(_target, 0, default, endStream: true);
                        }

                        break;
                    case StreamEventKind.Status:
                        _splice.OnUpstreamStatus(item.Status);
                        break;
                }

                lock (this)
                {
                    _backlog!.Dequeue();
                }
            }
        }
    }
}
