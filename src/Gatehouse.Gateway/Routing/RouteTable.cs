using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Routing;

/// <summary>
/// Maps (domain, command) to the endpoints registered for it and picks one per request: the live
/// binding with the fewest outstanding requests below its declared concurrency, round-robin among
/// ties. When all are busy the request waits in a bounded FIFO queue. A registration for command
/// <c>*</c> takes every command of its domain that has no exact registration.
/// One lock guards the whole table; every operation under it is short and allocation-light.
/// Bindings name a <see cref="ServiceEndpoint"/> (where requests go), not the session that
/// registered it, so anything that accepts request streams can be a target.
/// </summary>
public sealed class RouteTable
{
    private readonly object _lock = new();
    private readonly Dictionary<(string Domain, string Command), Route> _routes = [];
    private readonly int _queueLength;
    private readonly TimeProvider _time;
    private long _version;
    private System.Collections.Immutable.ImmutableHashSet<string> _locatorDomains = System.Collections.Immutable.ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <param name="queueLength">Most requests waiting per route when every endpoint is busy.</param>
    /// <param name="time">The clock queue timeouts run on (tests pass a fake one); default the system's.</param>
    public RouteTable(int queueLength, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queueLength);
        _queueLength = queueLength;
        _time = time ?? TimeProvider.System;
    }

    private sealed class Route
    {
        public readonly List<ServiceBinding> Bindings = [];
        public readonly LinkedList<TaskCompletionSource<ServiceBinding?>> Waiters = new();
        public int Next;
    }

    /// <summary>Goes up by one whenever a registration is added, changed or removed (members gossip it).</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>
    /// Raised after <see cref="Version"/> went up, outside the table's lock, on the thread that
    /// changed it: handlers must only note or queue work (cluster membership gossips a new version).
    /// </summary>
    public event Action? Changed;

    /// <summary>Domains an attached locator service serves (it registered <c>@locate</c> there); read without a lock.</summary>
    public System.Collections.Immutable.ImmutableHashSet<string> LocatorDomains => Volatile.Read(ref _locatorDomains);

    /// <summary>Told how long each request that had to queue waited, in seconds (a metric); null: nobody listens.</summary>
    internal Action<double>? QueueWaited { get; set; }

    /// <summary>How many (domain, command) routes exist.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _routes.Count;
            }
        }
    }

    /// <summary>Registers (or updates the concurrency of) <paramref name="service"/> for (domain, command).</summary>
    public ServiceBinding Register(ServiceEndpoint service, string domain, string command, int concurrency)
    {
        List<(TaskCompletionSource<ServiceBinding?>, ServiceBinding)>? wake = null;
        ServiceBinding binding;
        lock (_lock)
        {
            if (!_routes.TryGetValue((domain, command), out var route))
            {
                route = new Route();
                _routes[(domain, command)] = route;
                if (command == Protocol.LocatorAnswer.Command)
                {
                    Volatile.Write(ref _locatorDomains, _locatorDomains.Add(domain));
                }
            }

            binding = route.Bindings.Find(b => b.Service == service) ?? AddBinding(route, service, domain, command);
            binding.Concurrency = concurrency;
            _version++;
            HandOutUnsynchronized(route, ref wake);
        }

        Complete(wake);
        Changed?.Invoke();
        return binding;
    }

    private static ServiceBinding AddBinding(Route route, ServiceEndpoint service, string domain, string command)
    {
        var binding = new ServiceBinding(service, domain, command, 1);
        route.Bindings.Add(binding);
        return binding;
    }

    /// <summary>Removes one registration of <paramref name="service"/>.</summary>
    /// <returns>False when it was not registered.</returns>
    public bool Unregister(ServiceEndpoint service, string domain, string command)
    {
        var fail = new List<TaskCompletionSource<ServiceBinding?>>();
        lock (_lock)
        {
            if (!_routes.TryGetValue((domain, command), out var route))
            {
                return false;
            }

            int removed = route.Bindings.RemoveAll(b =>
            {
                if (b.Service != service)
                {
                    return false;
                }

                b.IsLive = false;
                return true;
            });
            DropIfEmptyUnsynchronized(domain, command, route, fail);
            if (removed == 0)
            {
                return false;
            }

            _version++;
        }

        Fail(fail);
        Changed?.Invoke();
        return true;
    }

    /// <summary>Removes every registration of a service whose connection closed.</summary>
    public void RemoveService(ServiceEndpoint service)
    {
        var fail = new List<TaskCompletionSource<ServiceBinding?>>();
        long before;
        long after;
        lock (_lock)
        {
            before = _version;
            foreach (var (key, route) in _routes.ToList())
            {
                _version += route.Bindings.RemoveAll(b =>
                {
                    if (b.Service != service)
                    {
                        return false;
                    }

                    b.IsLive = false;
                    return true;
                });
                DropIfEmptyUnsynchronized(key.Domain, key.Command, route, fail);
            }

            after = _version;
        }

        Fail(fail);
        if (after != before)
        {
            Changed?.Invoke();
        }
    }

    private void DropIfEmptyUnsynchronized(string domain, string command, Route route, List<TaskCompletionSource<ServiceBinding?>> fail)
    {
        if (route.Bindings.Count > 0)
        {
            return;
        }

        _routes.Remove((domain, command));
        if (command == Protocol.LocatorAnswer.Command)
        {
            Volatile.Write(ref _locatorDomains, _locatorDomains.Remove(domain));
        }

        fail.AddRange(route.Waiters);
        route.Waiters.Clear();
    }

    /// <summary>True when some service is registered for any command of <paramref name="domain"/>.</summary>
    public bool HasDomain(string domain)
    {
        lock (_lock)
        {
            foreach (var key in _routes.Keys)
            {
                if (string.Equals(key.Domain, domain, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// True when a registration for command <c>*</c> takes <paramref name="command"/>: every command
    /// but the gateway's own, which start with <c>@</c> (a locator registers <c>@locate</c>; a service
    /// taking a whole domain is not asked where users live).
    /// </summary>
    public static bool Wildcarded(string command) => command.Length == 0 || command[0] != '@';

    /// <summary>True when some service is registered for (domain, command) or for (domain, *).</summary>
    public bool HasRoute(string domain, string command)
    {
        lock (_lock)
        {
            return _routes.ContainsKey((domain, command)) || (Wildcarded(command) && _routes.ContainsKey((domain, "*")));
        }
    }

    /// <summary>
    /// Leases a binding only if one is free now and nobody is queued ahead; null otherwise (the
    /// caller then takes <see cref="AcquireAsync"/>, which queues and reports errors).
    /// </summary>
    public ServiceBinding? TryAcquire(string domain, string command)
    {
        lock (_lock)
        {
            if ((!_routes.TryGetValue((domain, command), out var route) && (!Wildcarded(command) || !_routes.TryGetValue((domain, "*"), out route)))
                || route.Waiters.Count > 0)
            {
                return null;
            }

            return PickUnsynchronized(route);
        }
    }

    /// <summary>
    /// Leases a binding for one request, waiting in the queue up to <paramref name="maxWait"/>.
    /// </summary>
    /// <returns>The lease, or an error status: UNKNOWN_COMMAND (no route), OVERLOADED (queue full or waited too long), UNAVAILABLE (the route vanished while waiting).</returns>
    public async ValueTask<(ServiceBinding? Binding, CallStatus Error)> AcquireAsync(string domain, string command, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        TaskCompletionSource<ServiceBinding?> waiter;
        LinkedListNode<TaskCompletionSource<ServiceBinding?>> node;
        lock (_lock)
        {
            if (!_routes.TryGetValue((domain, command), out var route) && (!Wildcarded(command) || !_routes.TryGetValue((domain, "*"), out route)))
            {
                return (null, CallStatus.Error(ErrorCode.UnknownCommand, $"Unknown command: no service is registered for {domain}/{command}"));
            }

            var picked = PickUnsynchronized(route);
            if (picked is not null)
            {
                return (picked, default);
            }

            if (route.Waiters.Count >= _queueLength)
            {
                return (null, CallStatus.Error(ErrorCode.Overloaded, $"Every service for {domain}/{command} is busy and {_queueLength} requests are already queued"));
            }

            waiter = new TaskCompletionSource<ServiceBinding?>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = route.Waiters.AddLast(waiter);
        }

        long queuedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var binding = await waiter.Task.WaitAsync(maxWait, _time, cancellationToken).ConfigureAwait(false);
            QueueWaited?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(queuedAt).TotalSeconds);
            return binding is null
                ? (null, CallStatus.Error(ErrorCode.Unavailable, $"Every service for {domain}/{command} went away"))
                : (binding, default);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            lock (_lock)
            {
                node.List?.Remove(node);
            }

            // Claim the waiter so nobody can hand it a binding from now on. A release may already
            // have taken it off the queue and picked a binding for it without completing it yet:
            // completing it first makes that release's hand-over fail, and it gives the binding
            // back itself. If a binding was handed over before we claimed it, it goes back here.
            if (!waiter.TrySetResult(null) && waiter.Task.Result is { } handed)
            {
                Release(handed);
            }

            QueueWaited?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(queuedAt).TotalSeconds);
            return ex is TimeoutException
                ? (null, CallStatus.Error(ErrorCode.Overloaded, $"Waited {maxWait.TotalSeconds:0.#} s for a free service for {domain}/{command}"))
                : (null, CallStatus.Error(ErrorCode.Cancelled, "Cancelled while queued"));
        }
    }

    /// <summary>Ends a lease: the binding takes the next queued request, if any.</summary>
    public void Release(ServiceBinding binding)
    {
        // The list exists only when someone is waiting (not on the per-request path).
        List<(TaskCompletionSource<ServiceBinding?>, ServiceBinding)>? wake = null;
        lock (_lock)
        {
            binding.Outstanding--;
            if (binding.IsLive && _routes.TryGetValue((binding.Domain, binding.Command), out var route))
            {
                HandOutUnsynchronized(route, ref wake);
            }
        }

        Complete(wake);
    }

    private static ServiceBinding? PickUnsynchronized(Route route)
    {
        ServiceBinding? best = null;
        int count = route.Bindings.Count;
        for (int i = 0; i < count; i++)
        {
            var b = route.Bindings[(route.Next + i) % count];
            if (!b.IsLive || b.Outstanding >= b.Concurrency || !b.Service.IsAvailable)
            {
                continue;
            }

            if (best is null || b.Outstanding < best.Outstanding)
            {
                best = b;
            }
        }

        if (best is not null)
        {
            best.Outstanding++;
            best.Served++;
            route.Next = (route.Bindings.IndexOf(best) + 1) % count;
        }

        return best;
    }

    private static void HandOutUnsynchronized(Route route, ref List<(TaskCompletionSource<ServiceBinding?>, ServiceBinding)>? wake)
    {
        while (route.Waiters.First is { } first)
        {
            var picked = PickUnsynchronized(route);
            if (picked is null)
            {
                return;
            }

            route.Waiters.RemoveFirst();
            (wake ??= []).Add((first.Value, picked));
        }
    }

    private void Complete(List<(TaskCompletionSource<ServiceBinding?> Waiter, ServiceBinding Binding)>? wake)
    {
        if (wake is null)
        {
            return;
        }

        foreach (var (waiter, binding) in wake)
        {
            if (!waiter.TrySetResult(binding))
            {
                Release(binding);
            }
        }
    }

    private static void Fail(List<TaskCompletionSource<ServiceBinding?>> fail)
    {
        foreach (var waiter in fail)
        {
            waiter.TrySetResult(null);
        }
    }

    /// <summary>A snapshot of every route, for the admin commands.</summary>
    public IReadOnlyList<RouteInfo> Snapshot() => Snapshot(out _);

    /// <summary>A snapshot of every route and the <see cref="Version"/> it is of (taken together).</summary>
    public IReadOnlyList<RouteInfo> Snapshot(out long version)
    {
        lock (_lock)
        {
            version = _version;
            return _routes.OrderBy(r => r.Key.Domain, StringComparer.Ordinal).ThenBy(r => r.Key.Command, StringComparer.Ordinal)
                .Select(r => new RouteInfo(r.Key.Domain, r.Key.Command, r.Value.Waiters.Count,
                    r.Value.Bindings.Select(b => new BindingInfo(b.Service.Name, b.Concurrency, b.Outstanding, b.Served)).ToList()))
                .ToList();
        }
    }
}

/// <summary>One route as the admin commands show it; <see cref="Members"/>: the other cluster members hosting it (null: none, or not asked).</summary>
public sealed record RouteInfo(string Domain, string Command, int Queued, IReadOnlyList<BindingInfo> Services, IReadOnlyList<RouteMemberInfo>? Members = null);

/// <summary>Another member hosting a route: its id (fingerprint), address, host name, how many services and their summed concurrency.</summary>
public sealed record RouteMemberInfo(string Fingerprint, string Address, string? Host, int Services, int Concurrency);

/// <summary>One service of a route as the admin commands show it.</summary>
public sealed record BindingInfo(string Service, int Concurrency, int Outstanding, long Served);
