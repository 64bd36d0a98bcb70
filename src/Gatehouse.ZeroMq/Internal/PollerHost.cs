using Microsoft.Extensions.Logging;
using NetMQ;

namespace Gatehouse.ZeroMq.Internal;

/// <summary>
/// Owns the one <see cref="NetMQPoller"/> thread of a backend. Every NetMQ socket of the backend is
/// created, used, and closed on this thread only, which is what makes the non-thread-safe sockets
/// safe to share among concurrent callers: callers post work here and await a task.
/// </summary>
internal sealed class PollerHost : IDisposable
{
    private readonly NetMQPoller _poller = new();
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly HashSet<NetMqReqChannel> _channels = []; // poller thread only
    private bool _stopped; // under _gate

    public PollerHost(ILogger logger)
    {
        _logger = logger;
        _poller.RunAsync("Gatehouse.ZeroMq poller", isBackgroundThread: true);
    }

    public NetMQPoller Poller => _poller;

    /// <summary>Set on the poller thread by <see cref="CloseAllAsync"/>; no socket is opened after it.</summary>
    public bool IsClosing { get; private set; }

    /// <summary>Runs <paramref name="func"/> on the poller thread; faults with ObjectDisposedException once stopped.</summary>
    public Task<T> RunAsync<T>(Func<T> func)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return Task.FromException<T>(new ObjectDisposedException(nameof(ZeroMqBackend)));
            }

            return Task.Factory.StartNew(func, CancellationToken.None, TaskCreationOptions.DenyChildAttach, _poller);
        }
    }

    /// <summary>
    /// Queues <paramref name="action"/> on the poller thread, fire and forget; a failure is logged
    /// (never left unobserved). Returns false when the poller has stopped (its sockets are closed).
    /// </summary>
    public bool TryPost(Action action)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return false;
            }

            _ = Task.Factory.StartNew(
                () =>
                {
                    try
                    {
                        action();
                    }
                    catch (Exception ex)
                    {
                        Log.PollerActionFailed(_logger, ex);
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.DenyChildAttach,
                _poller);
            return true;
        }
    }

    /// <summary>Poller thread only: remembers a live channel so shutdown can close it.</summary>
    public void Register(NetMqReqChannel channel) => _channels.Add(channel);

    /// <summary>Poller thread only: forgets a closed channel.</summary>
    public void Unregister(NetMqReqChannel channel) => _channels.Remove(channel);

    /// <summary>Closes every live socket on the poller thread and refuses new ones.</summary>
    public Task CloseAllAsync() => RunAsync(() =>
    {
        IsClosing = true;
        foreach (var channel in _channels.ToArray())
        {
            channel.CloseOnPollerThread(discard: false, reason: "backend disposed");
        }

        return true;
    });

    /// <summary>Stops the poller thread (blocks until it has stopped) and disposes it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        _poller.Dispose();
    }
}
