using Gatehouse.Protocol;

namespace Gatehouse.Transport.Internal;

/// <summary>
/// One stream's send window (the credit the peer granted for it, docs/protocol.md section 3) and
/// the one writer of the stream waiting for room, whatever it waits for (this window, the
/// connection's, buffer room or budget). A mutable struct kept in a field of the stream, so a
/// stream costs no extra allocation; every member must be called with the connection writer's
/// lock held, so checking credit and writing the frame stay atomic.
/// </summary>
internal struct StreamSendCredit
{
    private long _window;
    private TaskCompletionSource? _waiter;

    /// <param name="initialWindow">The peer's INITIAL_STREAM_WINDOW.</param>
    public StreamSendCredit(long initialWindow) => _window = initialWindow;

    /// <summary>Bytes the stream may send now.</summary>
    public readonly long Window => _window;

    /// <summary>True while a writer waits (see <see cref="Wait"/>).</summary>
    public readonly bool HasWaiter => _waiter is not null;

    /// <summary>Charges <paramref name="bytes"/> of DATA just written.</summary>
    public void Consume(int bytes) => _window -= bytes;

    /// <summary>A WINDOW_UPDATE for this stream: widens the window unless the increment is 0 or would push it past 2^31-1.</summary>
    public CreditGrant Grant(int increment)
    {
        if (increment <= 0)
        {
            return CreditGrant.ZeroIncrement;
        }

        long next = _window + increment;
        if (next > ProtocolSettings.MaxWindow)
        {
            return CreditGrant.Overflow;
        }

        _window = next;
        return CreditGrant.Granted;
    }

    /// <summary>The writer found no room: the task it awaits until <see cref="TakeWaiter"/>'s caller completes it.</summary>
    public TaskCompletionSource Wait()
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiter = waiter;
        return waiter;
    }

    /// <summary>Takes the waiting writer, if any; the caller completes it after releasing the lock.</summary>
    public TaskCompletionSource? TakeWaiter()
    {
        var waiter = _waiter;
        _waiter = null;
        return waiter;
    }
}
