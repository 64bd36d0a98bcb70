using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Gatehouse.Cluster.Etcd;
using Gatehouse.Cluster.Membership;
using Gatehouse.Cluster.Registry;
using Gatehouse.Gateway.Cluster;

namespace Gatehouse.Gateway.Membership;

/// <summary>
/// This gateway as a member of a cluster kept in etcd (<c>Cluster:Registry=etcd</c>, issue 21):
/// no SWIM and no UDP. The member record (address, remctl port, load, route-list version) and the
/// route list are published under this gateway's lease; every change of the registry's view is
/// turned into what forwarding, locators and the admin commands read on the gossip path too
/// (<see cref="Members"/>, <see cref="LiveMembers"/>, <see cref="RemoteRoutes"/>), so nothing
/// downstream knows which store is in use. Grants: <see cref="RegistryGrants"/>.
/// </summary>
public sealed partial class ClusterMembership
{
    /// <summary>Least time between two publications of this gateway's load (its requests in flight).</summary>
    internal static readonly TimeSpan LoadPublishInterval = TimeSpan.FromSeconds(5);

    private readonly RegistryGrants? _registryGrants;
    private readonly ConcurrentDictionary<string, byte> _badMembers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MemberRoutes> _heldRoutes = new(StringComparer.Ordinal); // under _rebuildLock
    private readonly object _rebuildLock = new();
    private EtcdRegistry? _etcd;
    private IReadOnlyList<MemberSnapshot> _registryMembers = [];
    private int _refreshState; // 0 idle, 1 running, 2 running and asked again
    private int _grantsState;
    private long _publishedLoad = -1;
    private long _loadPublishedAt; // Environment.TickCount64
    private string? _routesProblem;

    /// <summary>The registry store this gateway uses, when it is not gossip (for tests and status).</summary>
    internal EtcdRegistry? Etcd => _etcd;

    /// <summary>Starts the etcd registry: publishes this member, then follows the view.</summary>
    private void StartOnRegistry()
    {
        var etcd = new EtcdRegistry(_id, Options.Etcd, _logger);
        _etcd = etcd;
        etcd.Changed += (_, change) =>
        {
            QueueRefresh();
            if (change.Kind is RegistryChangeKind.Grant or RegistryChangeKind.Resynchronized)
            {
                QueueGrantStep();
            }
        };
        etcd.HealthChanged += (_, health) =>
        {
            if (health.Up)
            {
                QueueRefresh();
                QueueGrantStep(); // edits made while etcd was away are written now
            }
        };
        _runtime.Routes.Changed += OnRoutesChanged;
        PublishSelf();
        PublishRoutes();
        etcd.Start();
        MembershipLog.RegistryStarted(_logger, string.Join(", ", Options.Etcd.Endpoints), etcd.Root, Address!.ToString(), _id);
        Rebuild(); // this gateway is a member of its own view at once, whatever etcd says
    }

    /// <summary>The once-a-second work on a registry store: grants in step with authorized_peers, the load published when it changed.</summary>
    private void SweepRegistry()
    {
        QueueGrantStep();
        if (_runtime.Routes.Version != Interlocked.Read(ref _advertisedRoutesVersion))
        {
            PublishRoutes(); // a change whose event was missed (it never should be), or a list too large before
        }

        long load = _runtime.InFlight;
        if (load != Interlocked.Read(ref _publishedLoad) && Environment.TickCount64 - Interlocked.Read(ref _loadPublishedAt) >= (long)LoadPublishInterval.TotalMilliseconds && _etcd?.Health.Up == true)
        {
            PublishSelf();
        }
    }

    private LocalMember SelfRecord(RouteList routes)
    {
        string host = Environment.MachineName;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = host.Length > 64 ? host[..64] : host,
            ["routesVersion"] = routes.Version.ToString(CultureInfo.InvariantCulture),
            ["routes"] = routes.Routes.Count.ToString(CultureInfo.InvariantCulture),
            ["routesHash"] = routes.Hash,
        };
        return new LocalMember(Address!.ToString(), _remctlPort, _runtime.InFlight, GatewayRuntime.Version, metadata);
    }

    private void PublishSelf()
    {
        if (_etcd is not { } etcd || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var record = SelfRecord(LocalRoutes());
        Interlocked.Exchange(ref _publishedLoad, record.Load);
        Interlocked.Exchange(ref _loadPublishedAt, Environment.TickCount64);
        Observe(() => etcd.PublishMemberAsync(record));
    }

    /// <summary>The route table changed (coalesced for 20 ms as on gossip: <see cref="OnRoutesChanged"/>): the list and the record that names its version go to etcd.</summary>
    private void PublishRoutes()
    {
        if (_etcd is not { } etcd || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var routes = LocalRoutes();
        byte[] payload = routes.ToUtf8();
        int max = Math.Min(Options.MaxRouteListBytes, MemberRoutes.MaxBytes);
        if (payload.Length > max)
        {
            string problem = $"this gateway's route list is {payload.Length} bytes, more than the {max} members accept: the registry keeps the previous one";
            if (Interlocked.Exchange(ref _routesProblem, problem) is null)
            {
                MembershipLog.GrantsProblem(_logger, problem);
            }

            return;
        }

        Volatile.Write(ref _routesProblem, null);
        Interlocked.Exchange(ref _advertisedRoutesVersion, routes.Version);
        Observe(() => etcd.PublishRoutesAsync(new MemberRoutes(routes.Version, payload)));
        PublishSelf();
        Rebuild(); // this gateway's own entry shows the new routes at once
    }

    /// <summary>Starts a publication and leaves it running: it ends when etcd has it (a stop cancels it; nothing to observe).</summary>
    private static void Observe(Func<Task> publish)
    {
        try
        {
            _ = publish().ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }

    /// <summary>A view change: rebuilds the derived state once, however many changes arrive while it runs.</summary>
    private void QueueRefresh()
    {
        while (true)
        {
            int state = Volatile.Read(ref _refreshState);
            if (state == 2)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _refreshState, state + 1, state) == state)
            {
                if (state == 0)
                {
                    _ = Task.Run(RefreshLoop);
                }

                return;
            }
        }
    }

    private void RefreshLoop()
    {
        while (true)
        {
            try
            {
                Rebuild();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                MembershipLog.GrantsProblem(_logger, "rebuilding the cluster view failed: " + ex.Message);
            }

            if (Interlocked.CompareExchange(ref _refreshState, 0, 1) == 1)
            {
                return;
            }

            Volatile.Write(ref _refreshState, 1); // asked again while running: once more
        }
    }

    /// <summary>
    /// The registry's view in the gossip path's terms: a member snapshot per member (alive: a member
    /// in etcd holds a lease), the trusted ones (gateway role in the store's grants) as live members
    /// forwarding may use, and their route lists parsed and indexed. Members that left the view (lease
    /// expired, stopped) or lost the gateway role are dropped with their routes and links.
    /// </summary>
    private void Rebuild()
    {
        if (_etcd is not { } etcd || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        lock (_rebuildLock)
        {
            var view = etcd.View;
            var now = DateTimeOffset.UtcNow;
            var previous = Volatile.Read(ref _registryMembers).ToDictionary(m => m.Id, StringComparer.Ordinal);
            var members = new List<MemberSnapshot>(view.Members.Count + 1);
            var trusted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var m in view.Members.Values)
            {
                if (m.Id == _id)
                {
                    continue; // this gateway's own entry is made from what it knows now, below
                }

                if (!IPEndPoint.TryParse(m.Address, out var address) || address.Port == 0)
                {
                    if (_badMembers.TryAdd(m.Id, 0))
                    {
                        MembershipLog.RegistryMemberUnusable(_logger, m.Id, $"its address '{m.Address}' is not IP:PORT");
                    }

                    continue;
                }

                _badMembers.TryRemove(m.Id, out _);
                var meta = new MemberMetadata(m.Metadata.GetValueOrDefault("host") ?? "?", Number(m.Metadata, "routesVersion"), (int)Math.Clamp(Number(m.Metadata, "routes"), 0, int.MaxValue), m.Load, null,
                    m.Metadata.GetValueOrDefault("routesHash"), m.RemctlPort);
                members.Add(Snapshot(m.Id, address, meta, previous, now));
                if (IsTrusted(m.Id))
                {
                    trusted.Add(m.Id);
                    HoldRoutes(m.Id, view.Routes.GetValueOrDefault(m.Id));
                    bool wasLive = LiveMembers.ContainsKey(m.Id);
                    SetLive(m.Id, new LiveMember(m.Id, address, MemberState.Alive, m.Load));
                    if (!wasLive)
                    {
                        _links.Schedule.MemberAlive(m.Id); // (back) in the registry: dialling it starts over
                    }
                }
            }

            var own = LocalRoutes();
            members.Add(Snapshot(_id, Address!, new MemberMetadata(Environment.MachineName, own.Version, own.Routes.Count, _runtime.InFlight, null, own.Hash, _remctlPort), previous, now));
            Volatile.Write(ref _registryMembers, members.OrderBy(m => m.Id, StringComparer.Ordinal).ToImmutableArray());

            foreach (string id in LiveMembers.Keys.Concat(_remoteRoutes.Snapshot.Keys).Concat(_heldRoutes.Keys).Distinct().ToList())
            {
                if (!trusted.Contains(id))
                {
                    // Gone from the registry (its lease ended, it stopped) or no longer a member: nothing is sent to it.
                    SetLive(id, null);
                    _remoteRoutes.Remove(id);
                    _heldRoutes.Remove(id);
                    _links.Drop(id);
                }
            }
        }
    }

    private static MemberSnapshot Snapshot(string id, IPEndPoint address, MemberMetadata meta, Dictionary<string, MemberSnapshot> previous, DateTimeOffset now)
    {
        byte[] bytes = meta.ToUtf8();
        var since = previous.TryGetValue(id, out var before) && before.Address.Equals(address) && before.Metadata.Span.SequenceEqual(bytes) ? before.LastChange : now;
        return new MemberSnapshot(id, address, 0, MemberState.Alive, bytes, since);
    }

    private static long Number(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : 0;

    /// <summary>Parses and indexes a member's route list when it is not the one held (the view replaces a list only when it changed).</summary>
    private void HoldRoutes(string id, MemberRoutes? routes)
    {
        if (routes is null)
        {
            if (_heldRoutes.Remove(id))
            {
                _remoteRoutes.Remove(id);
            }

            return;
        }

        if (_heldRoutes.TryGetValue(id, out var held) && ReferenceEquals(held, routes))
        {
            return;
        }

        _heldRoutes[id] = routes;
        try
        {
            if (routes.Payload.Length > Options.MaxRouteListBytes)
            {
                throw new FormatException($"{routes.Payload.Length} bytes, more than {Options.MaxRouteListBytes}");
            }

            var list = RouteList.Parse(routes.Payload.Span);
            if (!_remoteRoutes.Store(id, list))
            {
                MembershipLog.RoutesTooMany(_logger, id, list.Routes.Count, Options.MaxRemoteRoutes);
                return;
            }

            _pullFailed.TryRemove(id, out _);
        }
        catch (FormatException ex)
        {
            _remoteRoutes.Remove(id);
            if (_pullFailed.TryAdd(id, 0))
            {
                MembershipLog.RegistryMemberUnusable(_logger, id, "its route list: " + ex.Message);
            }
        }
    }

    /// <summary>Runs a grant step (<see cref="RegistryGrants.StepAsync"/>) now, or once more after the one running.</summary>
    private void QueueGrantStep()
    {
        if (_registryGrants is null || _etcd is null)
        {
            return;
        }

        while (true)
        {
            int state = Volatile.Read(ref _grantsState);
            if (state == 2)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _grantsState, state + 1, state) == state)
            {
                if (state == 0)
                {
                    _ = Task.Run(GrantLoopAsync);
                }

                return;
            }
        }
    }

    private async Task GrantLoopAsync()
    {
        while (true)
        {
            try
            {
                if (Volatile.Read(ref _disposed) == 0 && _etcd is { } etcd)
                {
                    var result = await _registryGrants!.StepAsync(etcd, _stop.Token).ConfigureAwait(false);
                    if (result.Problem is { } problem)
                    {
                        MembershipLog.GrantsProblem(_logger, problem);
                    }

                    if (result.Written > 0)
                    {
                        MembershipLog.RegistryGrantsWritten(_logger, result.Written, etcd.Kind);
                    }

                    if (result.FileChanged)
                    {
                        _runtime.EnforceAuthorizations(); // the file was rewritten: sessions of changed grants go now
                    }

                    if (result.Written > 0 || result.FileChanged)
                    {
                        QueueRefresh(); // a member's gateway role may have come or gone
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                Volatile.Write(ref _grantsState, 0);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                MembershipLog.GrantsProblem(_logger, "keeping authorized_peers in step with the registry failed: " + ex.Message);
            }

            if (Interlocked.CompareExchange(ref _grantsState, 0, 1) == 1)
            {
                return;
            }

            Volatile.Write(ref _grantsState, 1);
        }
    }

    /// <summary>Stopping: the lease is revoked now, so every other gateway stops sending here at once.</summary>
    private async Task LeaveRegistryAsync(TimeSpan maxWait)
    {
        if (_etcd is { } etcd)
        {
            await Task.WhenAny(etcd.DisposeAsync().AsTask(), Task.Delay(maxWait)).ConfigureAwait(false);
        }
    }
}
