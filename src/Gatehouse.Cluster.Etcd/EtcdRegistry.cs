using System.Collections.Immutable;
using Gatehouse.Cluster.Membership;
using Gatehouse.Cluster.Registry;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Cluster.Etcd;

/// <summary>
/// The cluster registry on etcd (issue 21). This member's record and route list are written under
/// its own lease (renewed every third of its TTL), so a crashed member's keys vanish when the lease
/// expires and a clean stop (<see cref="DisposeAsync"/>) revokes it at once. One watch on the
/// cluster's prefix keeps <see cref="View"/> current; it resumes from the last revision seen, and
/// when that revision was compacted it reads the whole prefix again. While etcd cannot be reached the
/// view stays as it was, <see cref="Health"/> says down (and why), and everything is caught up when
/// it returns: the watch resumes, and a lease that expired meanwhile is granted again and the keys
/// written again.
/// </summary>
/// <remarks>
/// Two loops: the keeper (lease and writes, <c>EtcdRegistry.Lease.cs</c>) and the watcher
/// (<c>EtcdRegistry.Watch.cs</c>). The view is replaced under <c>_viewLock</c> (a leaf lock; events
/// are raised after it is released).
/// </remarks>
public sealed partial class EtcdRegistry : IClusterRegistry
{
    private readonly EtcdRegistryOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EtcdConnection _connection;
    private readonly EtcdKeys _keys;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _viewLock = new();
    private RegistryView _view = RegistryView.Empty;
    private RegistryHealth _health;
    private string? _keeperProblem;
    private string? _watchProblem = "not started";
    private Task? _keeper;
    private Task? _watcher;
    private int _disposed;

    /// <summary>Creates the registry for member <paramref name="localId"/>; nothing is sent before <see cref="Start"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public EtcdRegistry(string localId, EtcdRegistryOptions options, ILogger logger, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(localId);
        if (localId.Length > 128 || localId.Any(char.IsControl))
        {
            throw new ArgumentException("a member id is 1 to 128 characters, no control characters", nameof(localId));
        }

        LocalId = localId;
        _options = options.Validate();
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _keys = new EtcdKeys(options.Prefix, options.Cluster);
        _connection = new EtcdConnection(options, logger);
        _health = new RegistryHealth(false, _time.GetUtcNow(), "not started");
    }

    /// <inheritdoc/>
    public string LocalId { get; }

    /// <inheritdoc/>
    public string Kind => "etcd";

    /// <summary>The options in use.</summary>
    public EtcdRegistryOptions Options => _options;

    /// <summary><c>PREFIX/CLUSTER/</c>, the root of this cluster's keys.</summary>
    public string Root => _keys.Root;

    /// <inheritdoc/>
    public RegistryView View => Volatile.Read(ref _view);

    /// <inheritdoc/>
    public RegistryHealth Health => Volatile.Read(ref _health);

    /// <summary>The lease this member's keys are under (0 while it holds none).</summary>
    public long LeaseId => Interlocked.Read(ref _leaseId);

    /// <summary>Times the whole prefix was read (at start, after a compaction, after a watch could not resume).</summary>
    public int Resyncs => Volatile.Read(ref _resyncs);

    /// <inheritdoc/>
    public event EventHandler<RegistryChange>? Changed;

    /// <inheritdoc/>
    public event EventHandler<RegistryHealth>? HealthChanged;

    /// <summary>Starts the keeper and the watcher. Returns at once; <see cref="WaitReadyAsync"/> waits for the first view.</summary>
    public void Start()
    {
        if (_keeper is not null)
        {
            throw new InvalidOperationException("already started");
        }

        EtcdLog.Started(_logger, string.Join(",", _options.Endpoints), _keys.Root, _options.LeaseTtl);
        _keeper = Task.Run(() => KeeperLoopAsync(_stop.Token));
        _watcher = Task.Run(() => WatchLoopAsync(_stop.Token));
    }

    /// <summary>Waits until the first whole view was read (true), or <paramref name="timeout"/> passed (false).</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        var task = _ready.Task;
        return await Task.WhenAny(task, Task.Delay(timeout, _time)).ConfigureAwait(false) == task;
    }

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _resyncs;

    /// <summary>Records how one loop fared; health is up only when both the keeper and the watcher work.</summary>
    private void Report(bool keeper, string? problem)
    {
        RegistryHealth? changed = null;
        RegistryHealth before;
        lock (_viewLock)
        {
            if (keeper)
            {
                _keeperProblem = problem;
            }
            else
            {
                _watchProblem = problem;
            }

            before = _health;
            string? reason = _keeperProblem ?? _watchProblem;
            bool up = reason is null;
            if (up != before.Up || (!up && before.Reason is "not started" && reason is not "not started"))
            {
                changed = new RegistryHealth(up, _time.GetUtcNow(), reason);
                Volatile.Write(ref _health, changed);
            }
            else if (!up && reason != before.Reason)
            {
                Volatile.Write(ref _health, before with { Reason = reason }); // still down, since then; the newest reason
            }
        }

        if (changed is null)
        {
            return;
        }

        if (changed.Up)
        {
            if (before.Reason is not "not started")
            {
                EtcdLog.Up(_logger, changed.Since - before.Since, View.Revision);
            }
        }
        else if (before.Up || before.Reason is "not started" && changed.Reason is not "not started")
        {
            EtcdLog.Down(_logger, changed.Reason!, View.Members.Count, _options.RetryInterval);
        }

        HealthChanged?.Invoke(this, changed);
    }

    /// <summary>Replaces the view with <paramref name="next"/> and raises the changes (outside the lock).</summary>
    private void Publish(RegistryView next, IReadOnlyList<RegistryChange> changes)
    {
        RegistryView old;
        lock (_viewLock)
        {
            old = _view;
            Volatile.Write(ref _view, next);
        }

        // Said when a member came or went, not at every update of its record (its load, its routes),
        // and once per member for a batch (a watch that resumes replays what it missed).
        foreach (string id in changes.Where(c => c.Kind == RegistryChangeKind.Member && c.Id != LocalId).Select(c => c.Id).Distinct(StringComparer.Ordinal))
        {
            bool before = old.Members.ContainsKey(id), after = next.Members.ContainsKey(id);
            if (before != after)
            {
                EtcdLog.MemberChanged(_logger, id, after ? "is registered" : "is gone (its lease ended or it stopped)");
            }
        }

        foreach (var change in changes)
        {
            Changed?.Invoke(this, change);
        }
    }

    private static RegistryMember ToMember(string id, EtcdMemberRecord r) =>
        new(id, r.Address, MemberState.Alive, r.Load, r.RemctlPort, r.Version, r.Metadata is null
            ? ImmutableDictionary<string, string>.Empty
            : r.Metadata.ToImmutableDictionary(StringComparer.Ordinal));

    /// <summary>Stops both loops and revokes the lease, so every other member drops this one at once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopLoopsAsync().ConfigureAwait(false);
        long lease = Interlocked.Exchange(ref _leaseId, 0);
        string what = "none held";
        if (lease != 0)
        {
            try
            {
                using var limit = new CancellationTokenSource(_options.OperationTimeout * 2);
                await _connection.CallAsync((c, h, d, ct) => c.Lease.LeaseRevokeAsync(new Etcdserverpb.LeaseRevokeRequest { ID = lease }, h, d, ct).ResponseAsync, limit.Token).ConfigureAwait(false);
                what = "revoked (its keys are gone)";
            }
            catch (Exception ex) when (ex is EtcdUnavailableException or Grpc.Core.RpcException or OperationCanceledException)
            {
                what = $"not revoked ({ex.Message}); its keys go when it expires";
            }
        }

        EtcdLog.Stopped(_logger, lease, what);
        _connection.Dispose();
        _stop.Dispose();
    }

    /// <summary>
    /// Stops without revoking the lease, as a crash would (tests, and the gateway's SIGKILL-like
    /// paths): the keys stay until the lease expires.
    /// </summary>
    internal async Task AbandonAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopLoopsAsync().ConfigureAwait(false);
        _connection.Dispose();
        _stop.Dispose();
    }

    private async Task StopLoopsAsync()
    {
        _stop.Cancel();
        foreach (var t in (Task?[])[_keeper, _watcher])
        {
            if (t is not null)
            {
                try
                {
                    await t.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopping.
                }
            }
        }

        lock (_writeLock)
        {
            foreach (var w in _writeWaiters)
            {
                w.Done.TrySetCanceled();
            }

            _writeWaiters.Clear();
        }
    }
}
