using System.Net;
using Gatehouse.Cluster.Wire;

namespace Gatehouse.Cluster.Membership;

// Full-state exchange over the reliable path (the integration layer's TLS): joining through seeds,
// a periodic push-pull with one random live member, a periodic attempt at one random dead member
// (heals partitions), and the receiving side. At most MaxConcurrentPushPulls in progress at once.
public sealed partial class SwimNode
{
    private readonly CancellationTokenSource _exchangeCancel = new();
    private ITimer? _pushPullTimer;
    private ITimer? _reconnectTimer;
    private int _exchangesInFlight;
    private int _maxExchangesInFlight;

    /// <summary>Full-state exchanges in progress now (incoming and outgoing).</summary>
    public int PushPullsInFlight
    {
        get
        {
            lock (_lock)
            {
                return _exchangesInFlight;
            }
        }
    }

    /// <summary>The most full-state exchanges ever in progress at once.</summary>
    public int MaxPushPullsInFlight
    {
        get
        {
            lock (_lock)
            {
                return _maxExchangesInFlight;
            }
        }
    }

    /// <summary>
    /// Joins the cluster through <paramref name="seeds"/>: a full-state exchange with each, in parallel.
    /// Needs an <see cref="IStateExchange"/>. Starts the node if it was not started.
    /// </summary>
    /// <returns>How many seeds answered; 0 means not joined (the caller retries).</returns>
    public Task<int> JoinAsync(IEnumerable<IPEndPoint> seeds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        if (_exchange is null)
        {
            throw new InvalidOperationException("joining needs an IStateExchange (the reliable path)");
        }

        Start();
        var tasks = new List<Task<bool>>();
        foreach (IPEndPoint seed in seeds)
        {
            lock (_lock)
            {
                tasks.Add(ExchangeWith(seed, isJoin: true, cancellationToken));
            }
        }

        return Task.WhenAll(tasks).ContinueWith(
            static t => t.Result.Count(ok => ok),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>
    /// Receiving side, step 1: admits one incoming full-state exchange if fewer than
    /// <see cref="SwimOptions.MaxConcurrentPushPulls"/> are in progress. Take it before reading the
    /// remote state off the connection and dispose it when done; null means refuse (close the connection).
    /// </summary>
    public IDisposable? TryBeginIncomingExchange()
    {
        lock (_lock)
        {
            if (_stopped || !TryEnterExchange())
            {
                Counters._pushPullsRefused++;
                return null;
            }

            return new ExchangeLease(this);
        }
    }

    /// <summary>This member's full state to send in an exchange.</summary>
    public IReadOnlyList<MemberSnapshot> LocalState()
    {
        lock (_lock)
        {
            return SnapshotUnsynchronized();
        }
    }

    /// <summary>
    /// Receiving side, step 2 (and the sending side with the answer): merges another member's full state.
    /// Alive and left entries apply as gossip would; a remote "dead" only makes the member suspect here,
    /// so that one member's mistake cannot kill a member everywhere at once. Entries that break the wire
    /// limits are skipped and counted.
    /// </summary>
    /// <returns>Entries skipped as invalid.</returns>
    public int MergeRemoteState(IReadOnlyList<MemberSnapshot> remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        lock (_lock)
        {
            if (_stopped)
            {
                return 0;
            }

            int skipped = 0;
            foreach (MemberSnapshot s in remote)
            {
                if (!IsValid(s))
                {
                    skipped++;
                    continue;
                }

                switch (s.State)
                {
                    case MemberState.Alive:
                        ApplyAlive(new AliveMessage(s.Incarnation, s.Id, s.Address, s.Metadata));
                        break;
                    case MemberState.Suspect:
                    case MemberState.Dead:
                        ApplyAlive(new AliveMessage(s.Incarnation, s.Id, s.Address, s.Metadata));
                        ApplySuspect(new SuspectMessage(s.Incarnation, s.Id, _self.Id));
                        break;
                    case MemberState.Left:
                        if (_members.ContainsKey(s.Id))
                        {
                            ApplyLeave(new LeaveMessage(s.Incarnation, s.Id));
                        }

                        break;
                }
            }

            Counters._pushPulls++;
            return skipped;
        }
    }

    private bool IsValid(MemberSnapshot s)
    {
        if (s is null || s.Address is null || s.Metadata.Length > _options.MaxMetadataSize || !Enum.IsDefined(s.State))
        {
            return false;
        }

        int idBytes = string.IsNullOrEmpty(s.Id) ? 0 : System.Text.Encoding.UTF8.GetByteCount(s.Id);
        return idBytes is >= 1 and <= WireLimits.MaxMemberIdBytes
            && s.Address.AddressFamily is System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6;
    }

    private void StartPushPullTimers()
    {
        if (_exchange is null)
        {
            return;
        }

        if (_options.PushPullInterval > TimeSpan.Zero)
        {
            _pushPullTimer = _time.CreateTimer(static s => ((SwimNode)s!).OnPushPullTick(), this, _options.PushPullIntervalFor(_liveCount) * (0.5 + _random.NextDouble()), Timeout.InfiniteTimeSpan);
        }

        if (_options.ReconnectInterval > TimeSpan.Zero)
        {
            _reconnectTimer = _time.CreateTimer(static s => ((SwimNode)s!).OnReconnectTick(), this, _options.ReconnectInterval * (0.5 + _random.NextDouble()), Timeout.InfiniteTimeSpan);
        }
    }

    private void OnPushPullTick()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            _pushPullTimer!.Change(_options.PushPullIntervalFor(_liveCount), Timeout.InfiniteTimeSpan);
            if (_leaving)
            {
                return;
            }

            List<MemberRecord> peer = PickRandom(1, m => m.State == MemberState.Alive);
            if (peer.Count == 1)
            {
                _ = ExchangeWith(peer[0].Address, isJoin: false, CancellationToken.None);
            }
        }
    }

    private void OnReconnectTick()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            _reconnectTimer!.Change(_options.ReconnectInterval, Timeout.InfiniteTimeSpan);
            if (_leaving)
            {
                return;
            }

            List<MemberRecord> peer = PickRandom(1, m => m.State == MemberState.Dead);
            if (peer.Count == 1)
            {
                _ = ExchangeWith(peer[0].Address, isJoin: false, CancellationToken.None);
            }
        }
    }

    /// <summary>Starts one outgoing exchange (under the lock); the task says whether it completed.</summary>
    private Task<bool> ExchangeWith(IPEndPoint address, bool isJoin, CancellationToken cancellationToken)
    {
        if (_stopped || !TryEnterExchange())
        {
            Counters._pushPullsRefused++;
            return Task.FromResult(false);
        }

        Task<IReadOnlyList<MemberSnapshot>> call;
        try
        {
            CancellationToken token = cancellationToken.CanBeCanceled
                ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _exchangeCancel.Token).Token
                : _exchangeCancel.Token;
            call = _exchange!.ExchangeAsync(address, SnapshotUnsynchronized(), token);
        }
        catch (Exception e)
        {
            // The integration layer threw instead of returning a faulted task: the same as a failed exchange.
            call = Task.FromException<IReadOnlyList<MemberSnapshot>>(e);
        }

        return call.ContinueWith(
            t =>
            {
                lock (_lock)
                {
                    _exchangesInFlight--;
                }

                if (t.IsCompletedSuccessfully && t.Result is { } remote)
                {
                    MergeRemoteState(remote);
                    lock (_lock)
                    {
                        _joinFailuresLogged.Remove(address);
                    }

                    return true;
                }

                string why = t.Exception?.GetBaseException().Message ?? "cancelled";
                lock (_lock)
                {
                    Counters._pushPullsFailed++;
                }

                if (isJoin)
                {
                    // A join is retried by the caller until it works: say why once per seed, then quietly.
                    bool first;
                    lock (_lock)
                    {
                        first = _joinFailuresLogged.Add(address);
                    }

                    if (first)
                    {
                        Log.JoinFailed(_logger, address, why);
                    }
                    else
                    {
                        Log.JoinFailedAgain(_logger, address, why);
                    }
                }
                else
                {
                    Log.PushPullFailed(_logger, address, why);
                }

                return false;
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private bool TryEnterExchange()
    {
        if (_exchangesInFlight >= _options.MaxConcurrentPushPulls)
        {
            return false;
        }

        _exchangesInFlight++;
        _maxExchangesInFlight = Math.Max(_maxExchangesInFlight, _exchangesInFlight);
        return true;
    }

    private sealed class ExchangeLease(SwimNode node) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (node._lock)
                {
                    node._exchangesInFlight--;
                }
            }
        }
    }
}
