using Etcdserverpb;
using Gatehouse.Cluster.Registry;
using Google.Protobuf;
using Grpc.Core;

namespace Gatehouse.Cluster.Etcd;

/// <summary>The keeper: this member's lease (granted, renewed every TTL/3, granted again when it expired) and the writes of its keys.</summary>
public sealed partial class EtcdRegistry
{
    private readonly object _writeLock = new();
    private readonly List<(long Generation, TaskCompletionSource Done)> _writeWaiters = [];
    private readonly SemaphoreSlim _wake = new(0, 1);
    private LocalMember? _self;
    private MemberRoutes? _routes;
    private long _wanted;
    private long _leaseId;

    /// <inheritdoc/>
    /// <remarks>The task ends when the record is in etcd (it waits while etcd is unreachable); the record is kept and written whether or not it is awaited.</remarks>
    public Task PublishMemberAsync(LocalMember self, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(self);
        int size = EtcdMemberRecord.From(self).ToUtf8().Length;
        if (size > LocalMember.MaxBytes)
        {
            throw new ArgumentException($"the member record is {size} bytes; at most {LocalMember.MaxBytes}", nameof(self));
        }

        return Want(() => _self = self, cancellationToken);
    }

    /// <inheritdoc/>
    public Task PublishRoutesAsync(MemberRoutes routes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(routes);
        if (routes.Payload.Length > MemberRoutes.MaxBytes || routes.Version < 0)
        {
            throw new ArgumentException($"a route list is at most {MemberRoutes.MaxBytes} bytes with a version of 0 or more", nameof(routes));
        }

        return Want(() => _routes = routes, cancellationToken);
    }

    private Task Want(Action set, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_writeLock)
        {
            set();
            _writeWaiters.Add((++_wanted, done));
        }

        Wake();
        return done.Task.WaitAsync(cancellationToken);
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: the keeper reads the newest state anyway.
        }
    }

    /// <inheritdoc/>
    public async Task PutGrantAsync(string fingerprint, string line, CancellationToken cancellationToken = default)
    {
        CheckId(fingerprint);
        ArgumentNullException.ThrowIfNull(line);
        if (line.Length == 0 || line.Length > 64 * 1024 || line.Contains('\n', StringComparison.Ordinal) || line.Contains('\r', StringComparison.Ordinal))
        {
            throw new ArgumentException("a grant is one authorized_peers line (1 to 65,536 characters, no line break)", nameof(line));
        }

        await Unavailable(() => _connection.CallAsync((c, h, d, ct) => c.Kv.PutAsync(new PutRequest { Key = _keys.Grant(fingerprint), Value = ByteString.CopyFromUtf8(line) }, h, d, ct).ResponseAsync, cancellationToken)).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task RemoveGrantAsync(string fingerprint, CancellationToken cancellationToken = default)
    {
        CheckId(fingerprint);
        await Unavailable(() => _connection.CallAsync((c, h, d, ct) => c.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = _keys.Grant(fingerprint) }, h, d, ct).ResponseAsync, cancellationToken)).ConfigureAwait(false);
    }

    private static void CheckId(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (id.Length > 128 || id.Any(char.IsControl))
        {
            throw new ArgumentException("an id is 1 to 128 characters, no control characters", nameof(id));
        }
    }

    private static async Task Unavailable<T>(Func<Task<T>> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (EtcdUnavailableException ex)
        {
            throw new RegistryUnavailableException("etcd cannot be reached: " + ex.Message, ex);
        }
    }

    private async Task KeeperLoopAsync(CancellationToken cancellationToken)
    {
        var nextRenew = DateTimeOffset.MinValue;
        bool hadLease = false;
        LocalMember? writtenSelf = null;
        MemberRoutes? writtenRoutes = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                long lease = Interlocked.Read(ref _leaseId);
                if (lease == 0)
                {
                    var granted = await _connection.CallAsync((c, h, d, ct) => c.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)Math.Ceiling(_options.LeaseTtl.TotalSeconds) }, h, d, ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
                    lease = granted.ID;
                    Interlocked.Exchange(ref _leaseId, lease);
                    writtenSelf = null; // everything again, under the new lease
                    writtenRoutes = null;
                    if (hadLease)
                    {
                        EtcdLog.LeaseRenewed(_logger, lease);
                    }

                    hadLease = true;
                    nextRenew = _time.GetUtcNow() + _options.RenewInterval;
                }
                else if (_time.GetUtcNow() >= nextRenew)
                {
                    long ttl = await _connection.CallAsync((c, h, d, ct) => KeepAliveOnceAsync(c, h, d, lease, ct), cancellationToken).ConfigureAwait(false);
                    if (ttl <= 0)
                    {
                        Interlocked.Exchange(ref _leaseId, 0); // expired while etcd was out of reach
                        continue;
                    }

                    nextRenew = _time.GetUtcNow() + _options.RenewInterval;
                }

                long generation;
                LocalMember? self;
                MemberRoutes? routes;
                lock (_writeLock)
                {
                    (generation, self, routes) = (_wanted, _self, _routes);
                }

                if (!ReferenceEquals(self, writtenSelf) || !ReferenceEquals(routes, writtenRoutes))
                {
                    if (_options.PublishDelay > TimeSpan.Zero && writtenSelf is not null)
                    {
                        await Task.Delay(_options.PublishDelay, _time, cancellationToken).ConfigureAwait(false); // changes close together go in one write
                        lock (_writeLock)
                        {
                            (generation, self, routes) = (_wanted, _self, _routes);
                        }
                    }

                    var txn = new TxnRequest();
                    if (self is not null && !ReferenceEquals(self, writtenSelf))
                    {
                        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = _keys.Member(LocalId), Value = ByteString.CopyFrom(EtcdMemberRecord.From(self).ToUtf8()), Lease = lease } });
                    }

                    if (routes is not null && !ReferenceEquals(routes, writtenRoutes))
                    {
                        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = _keys.Routes(LocalId), Value = EtcdKeys.RoutesValue(routes.Version, routes.Payload.Span), Lease = lease } });
                    }

                    try
                    {
                        await _connection.CallAsync((c, h, d, ct) => c.Kv.TxnAsync(txn, h, d, ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
                    }
                    catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
                    {
                        Interlocked.Exchange(ref _leaseId, 0); // "requested lease not found": it expired
                        continue;
                    }

                    (writtenSelf, writtenRoutes) = (self, routes);
                    Written(generation);
                }

                Report(keeper: true, null);
                var wait = nextRenew - _time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await _wake.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is EtcdUnavailableException or RpcException)
            {
                Report(keeper: true, ex is RpcException rpc ? EtcdConnection.Describe(rpc) : ex.Message);
                try
                {
                    await Task.Delay(_options.RetryInterval, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One keep-alive of <paramref name="lease"/>; returns the TTL etcd gives it (0 or less: it expired).</summary>
    private static async Task<long> KeepAliveOnceAsync(EtcdConnection.Clients clients, Metadata headers, DateTime deadline, long lease, CancellationToken cancellationToken)
    {
        using var call = clients.Lease.LeaseKeepAlive(headers, deadline, cancellationToken);
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = lease }, cancellationToken).ConfigureAwait(false);
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the keep-alive stream ended without an answer"));
        }

        return call.ResponseStream.Current.TTL;
    }

    /// <summary>Everything wanted up to <paramref name="generation"/> is in etcd: its waiters are released.</summary>
    private void Written(long generation)
    {
        List<TaskCompletionSource> done = [];
        lock (_writeLock)
        {
            _writeWaiters.RemoveAll(w =>
            {
                if (w.Generation <= generation)
                {
                    done.Add(w.Done);
                    return true;
                }

                return false;
            });
        }

        foreach (var d in done)
        {
            d.TrySetResult();
        }
    }
}
