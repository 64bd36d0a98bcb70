using System.Buffers;
using System.Threading.Tasks.Sources;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Internal;

/// <summary>
/// A stream's inbound events waiting for its reader: written by the connection's read loop, read
/// by one reader at a time. It does what an unbounded channel (System.Threading.Channels) did here
/// for a fraction of its cost (a channel is about 2 KB with its first segment, and one per request
/// side): a small queue under a lock, and the queue itself as the one reusable
/// <see cref="IValueTaskSource{TResult}"/> a waiting read completes through, so a read that waits
/// allocates nothing. The reader's continuation never runs on the writer's thread.
/// Once completed and drained, every read returns a Status event: the owning stream's
/// <see cref="MuxStream.EndStatus"/> (see <see cref="MuxStream.ReadAsync"/>).
/// </summary>
internal sealed class StreamQueue : IValueTaskSource<StreamEvent>
{
    /// <summary>Complete and empty: what a stream that ended before anything was queued reads.</summary>
    public static readonly StreamQueue Completed = new() { _completed = true };

    private readonly Lock _gate = new();
    private Queue<StreamEvent>? _items;
    private ManualResetValueTaskSourceCore<StreamEvent> _waiter = new() { RunContinuationsAsynchronously = true };
    private bool _waiting;
    private bool _completed;
    private CancellationToken _waitToken;
    private CancellationTokenRegistration _waitRegistration;

    /// <summary>Adds an event, or hands it straight to a waiting read. False once completed.</summary>
    public bool TryWrite(in StreamEvent item)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return false;
            }

            if (!_waiting)
            {
                (_items ??= new Queue<StreamEvent>(4)).Enqueue(item);
                return true;
            }

            _waiting = false;
            _waitRegistration.Unregister();
        }

        _waiter.SetResult(item);
        return true;
    }

    /// <summary>
    /// No more events. A waiting read (the queue being empty) ends with a Status event carrying
    /// <paramref name="owner"/>'s end status (<see cref="MuxStream.StreamEnded"/> without an owner).
    /// </summary>
    public void Complete(MuxStream? owner)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
            _waitRegistration.Unregister();
        }

        _waiter.SetResult(EndOf(owner));
    }

    public bool TryRead(out StreamEvent item) => TryTake(out item, remove: true);

    public bool TryPeek(out StreamEvent item) => TryTake(out item, remove: false);

    private bool TryTake(out StreamEvent item, bool remove)
    {
        lock (_gate)
        {
            if (_items is { Count: > 0 })
            {
                item = remove ? _items.Dequeue() : _items.Peek();
                return true;
            }
        }

        item = default;
        return false;
    }

    /// <summary>
    /// The next event, waiting for it if need be. After the last one: a Status event carrying
    /// <paramref name="owner"/>'s end status (<see cref="MuxStream.StreamEnded"/> without an owner),
    /// however often it is called. One read at a time.
    /// </summary>
    public ValueTask<StreamEvent> ReadAsync(MuxStream? owner, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_items is { Count: > 0 })
            {
                return new ValueTask<StreamEvent>(_items.Dequeue());
            }

            if (_completed)
            {
                return new ValueTask<StreamEvent>(EndOf(owner));
            }

            if (_waiting)
            {
                return ValueTask.FromException<StreamEvent>(new InvalidOperationException("Another read of this stream is already waiting"));
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<StreamEvent>(cancellationToken);
            }

            _waiter.Reset();
            _waiting = true;
            _waitToken = cancellationToken;
            _waitRegistration = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static (s, token) => ((StreamQueue)s!).CancelWait(token), this)
                : default;
            return new ValueTask<StreamEvent>(this, _waiter.Version);
        }
    }

    /// <summary>What a read past the end returns.</summary>
    private static StreamEvent EndOf(MuxStream? owner) => StreamEvent.ForStatus(owner?.EndStatus ?? MuxStream.StreamEnded);

    private void CancelWait(CancellationToken token)
    {
        lock (_gate)
        {
            // A late callback of an earlier wait finds another token (or no wait) and does nothing.
            if (!_waiting || _waitToken != token)
            {
                return;
            }

            _waiting = false;
        }

        _waiter.SetException(new OperationCanceledException(token));
    }

    /// <summary>Returns the pooled buffers of events nobody will read; returns how many data bytes they held.</summary>
    public long ReturnBuffers()
    {
        long bytes = 0;
        while (TryRead(out var item))
        {
            if (item.Buffer is not null)
            {
                bytes += item.Length;
                ArrayPool<byte>.Shared.Return(item.Buffer);
            }
        }

        return bytes;
    }

    StreamEvent IValueTaskSource<StreamEvent>.GetResult(short token) => _waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<StreamEvent>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<StreamEvent>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);
}
