using System.Collections.Immutable;
using System.Text;
using Etcdserverpb;
using Gatehouse.Cluster.Registry;
using Grpc.Core;
using Mvccpb;

namespace Gatehouse.Cluster.Etcd;

/// <summary>The watcher: the whole prefix read once, then one watch from the next revision, resumed after every failure and read whole again after a compaction.</summary>
public sealed partial class EtcdRegistry
{
    private CancellationTokenSource? _watchCts;
    private TaskCompletionSource? _watchGate;
    private bool _watchWorked; // the last watch was created (only the watcher loop touches it)

    private async Task WatchLoopAsync(CancellationToken cancellationToken)
    {
        long next = 0; // the revision to watch from; 0: read the whole prefix first
        int failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (Volatile.Read(ref _watchGate) is { } gate)
                {
                    await gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false); // tests: the watch is held back
                }

                if (next == 0)
                {
                    next = await ResyncAsync(cancellationToken).ConfigureAwait(false) + 1;
                }

                failures = 0;
                next = await WatchAsync(next, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                // The watch was held back by a test (PauseWatch), or did not start in time: resume from where it was.
            }
            catch (Exception ex) when ((ex is EtcdUnavailableException or RpcException) && ++failures == 1 && _watchWorked)
            {
                // A watch that worked broke (its etcd member died or was cut off): the next endpoint
                // at once, before saying anything is down.
                _watchWorked = false;
            }
            catch (Exception ex) when (ex is EtcdUnavailableException or RpcException)
            {
                _watchWorked = false;
                Report(keeper: false, ex is RpcException rpc ? EtcdConnection.Describe(rpc) : ex.Message);
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

    /// <summary>Reads every key of the cluster and makes the view exactly that; returns the revision read at.</summary>
    private async Task<long> ResyncAsync(CancellationToken cancellationToken)
    {
        var answer = await _connection.CallAsync((c, h, d, ct) => c.Kv.RangeAsync(new RangeRequest { Key = _keys.RootBytes, RangeEnd = _keys.RootEnd }, h, d, ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        var old = View;
        var members = ImmutableDictionary.CreateBuilder<string, RegistryMember>(StringComparer.Ordinal);
        var routes = ImmutableDictionary.CreateBuilder<string, MemberRoutes>(StringComparer.Ordinal);
        var grants = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var kv in answer.Kvs)
        {
            Apply(kv, deleted: false, members, routes, grants, changes: null);
        }

        var next = new RegistryView(members.ToImmutable(), routes.ToImmutable(), grants.ToImmutable(), answer.Header.Revision);
        var changes = Diff(old, next);
        changes.Add(new RegistryChange(RegistryChangeKind.Resynchronized, "", false));
        Publish(next, changes);
        Interlocked.Increment(ref _resyncs);
        Report(keeper: false, null);
        _ready.TrySetResult();
        return answer.Header.Revision;
    }

    /// <summary>
    /// Watches the prefix from revision <paramref name="from"/> until the stream fails (thrown) or
    /// the revision was compacted (returns 0: read the whole prefix again).
    /// </summary>
    private async Task<long> WatchAsync(long from, CancellationToken cancellationToken)
    {
        var (clients, headers, endpoint) = await _connection.StreamAsync(cancellationToken).ConfigureAwait(false);
        using var watchCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Volatile.Write(ref _watchCts, watchCts);
        if (Volatile.Read(ref _watchGate) is not null)
        {
            return from; // paused between the check and here
        }

        watchCts.CancelAfter(_options.OperationTimeout * 2); // until etcd says the watch is created
        try
        {
            using var call = clients.Watch.Watch(headers, cancellationToken: watchCts.Token);
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = _keys.RootBytes, RangeEnd = _keys.RootEnd, StartRevision = from, ProgressNotify = true },
            }, watchCts.Token).ConfigureAwait(false);
            while (await call.ResponseStream.MoveNext(watchCts.Token).ConfigureAwait(false))
            {
                var r = call.ResponseStream.Current;
                if (r.CompactRevision != 0)
                {
                    EtcdLog.Compacted(_logger, from, r.CompactRevision);
                    return 0;
                }

                if (r.Canceled)
                {
                    throw new EtcdUnavailableException($"{endpoint}: the watch was cancelled ({r.CancelReason})");
                }

                if (r.Created)
                {
                    _watchWorked = true;
                    watchCts.CancelAfter(Timeout.InfiniteTimeSpan);
                    Report(keeper: false, null);
                }

                if (r.Events.Count > 0)
                {
                    ApplyEvents(r.Events, r.Header.Revision);
                    from = Math.Max(from, r.Events[^1].Kv.ModRevision + 1);
                }
                else if (!r.Created && r.Header is { } header)
                {
                    from = Math.Max(from, header.Revision + 1); // progress notice: nothing before it is missing
                }
            }

            throw new EtcdUnavailableException($"{endpoint}: the watch stream ended");
        }
        catch (Exception ex) when ((ex is RpcException or OperationCanceledException) && !cancellationToken.IsCancellationRequested && Volatile.Read(ref _watchGate) is not null)
        {
            return from; // held back by PauseWatch: resume from here later
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            _connection.Failed(endpoint);
            if (EtcdConnection.IsAuthExpired(ex))
            {
                _connection.ForgetToken();
            }

            throw new EtcdUnavailableException($"{endpoint}: {EtcdConnection.Describe(ex)}");
        }
        finally
        {
            Volatile.Write(ref _watchCts, null);
        }
    }

    private void ApplyEvents(IEnumerable<Event> events, long revision)
    {
        var old = View;
        var members = old.Members.ToBuilder();
        var routes = old.Routes.ToBuilder();
        var grants = old.Grants.ToBuilder();
        var changes = new List<RegistryChange>();
        foreach (var e in events)
        {
            Apply(e.Kv, e.Type == Event.Types.EventType.Delete, members, routes, grants, changes);
        }

        Publish(new RegistryView(members.ToImmutable(), routes.ToImmutable(), grants.ToImmutable(), Math.Max(old.Revision, revision)), changes);
    }

    /// <summary>Applies one key's new value (or its deletion) to the view being built; a value that is not valid removes the entry and is logged.</summary>
    private void Apply(KeyValue kv, bool deleted,
        ImmutableDictionary<string, RegistryMember>.Builder members, ImmutableDictionary<string, MemberRoutes>.Builder routes,
        ImmutableDictionary<string, string>.Builder grants, List<RegistryChange>? changes)
    {
        if (!_keys.TryParse(kv.Key, out string kind, out string id))
        {
            return; // another tool's key under our prefix: not ours to judge
        }

        var value = kv.Value.Span;
        switch (kind)
        {
            case EtcdKeys.Members:
                var record = deleted ? null : EtcdMemberRecord.TryParse(value);
                if (!deleted && record is null)
                {
                    EtcdLog.BadKey(_logger, kv.Key.ToStringUtf8(), "not a member record");
                }

                Set(members, id, record is null ? null : ToMember(id, record), RegistryChangeKind.Member, changes);
                break;
            case EtcdKeys.RoutesDir:
                MemberRoutes? list = null;
                if (!deleted)
                {
                    if (EtcdKeys.TryParseRoutes(value, out long version, out byte[] payload))
                    {
                        list = new MemberRoutes(version, payload);
                    }
                    else
                    {
                        EtcdLog.BadKey(_logger, kv.Key.ToStringUtf8(), "not a route list (VERSION, newline, list)");
                    }
                }

                Set(routes, id, list, RegistryChangeKind.Routes, changes);
                break;
            default:
                string? line = deleted ? null : Encoding.UTF8.GetString(value);
                if (line is not null && (line.Length == 0 || line.Contains('\n', StringComparison.Ordinal)))
                {
                    EtcdLog.BadKey(_logger, kv.Key.ToStringUtf8(), "not one authorized_peers line");
                    line = null;
                }

                Set(grants, id, line, RegistryChangeKind.Grant, changes);
                break;
        }
    }

    private static void Set<T>(ImmutableDictionary<string, T>.Builder map, string id, T? value, RegistryChangeKind kind, List<RegistryChange>? changes)
        where T : class
    {
        if (value is null)
        {
            if (map.Remove(id))
            {
                changes?.Add(new RegistryChange(kind, id, true));
            }
        }
        else
        {
            map[id] = value;
            changes?.Add(new RegistryChange(kind, id, false));
        }
    }

    /// <summary>The changes from one view to another (members and route lists compared by content).</summary>
    private static List<RegistryChange> Diff(RegistryView old, RegistryView next)
    {
        var changes = new List<RegistryChange>();
        DiffOne(old.Members, next.Members, RegistryChangeKind.Member, SameMember, changes);
        DiffOne(old.Routes, next.Routes, RegistryChangeKind.Routes, (a, b) => a.Version == b.Version && a.Payload.Span.SequenceEqual(b.Payload.Span), changes);
        DiffOne(old.Grants, next.Grants, RegistryChangeKind.Grant, string.Equals, changes);
        return changes;
    }

    private static void DiffOne<T>(ImmutableDictionary<string, T> old, ImmutableDictionary<string, T> next, RegistryChangeKind kind, Func<T, T, bool> same, List<RegistryChange> changes)
    {
        foreach (var (id, value) in next)
        {
            if (!old.TryGetValue(id, out var before) || !same(before, value))
            {
                changes.Add(new RegistryChange(kind, id, false));
            }
        }

        foreach (var id in old.Keys.Where(k => !next.ContainsKey(k)))
        {
            changes.Add(new RegistryChange(kind, id, true));
        }
    }

    private static bool SameMember(RegistryMember a, RegistryMember b) =>
        a with { Metadata = b.Metadata } == b && a.Metadata.Count == b.Metadata.Count
        && a.Metadata.All(p => b.Metadata.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <summary>Tests: holds the watch back (the stream is closed; no event arrives) until <see cref="ResumeWatch"/>.</summary>
    internal void PauseWatch()
    {
        Volatile.Write(ref _watchGate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            Volatile.Read(ref _watchCts)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The watch ended by itself meanwhile.
        }
    }

    /// <summary>Tests: lets the watch resume from the revision it had reached.</summary>
    internal void ResumeWatch() => Interlocked.Exchange(ref _watchGate, null)?.TrySetResult();
}
