using System.Collections.Immutable;

namespace Gatehouse.Gateway.Membership;

/// <summary>
/// The route lists this gateway pulled from other members, by member id: which (domain, command)
/// each one serves. Bounded: at most <see cref="ClusterOptions.MaxRemoteRoutes"/> routes in all, so
/// members announcing huge tables cannot exhaust this gateway's memory. Thread-safe; readers see
/// an immutable snapshot.
/// </summary>
internal sealed class RemoteRoutes(int maxRoutes)
{
    private static readonly ImmutableArray<string> None = [];
    private readonly object _lock = new();
    private ImmutableDictionary<string, RouteList> _byMember = ImmutableDictionary.Create<string, RouteList>(StringComparer.Ordinal);

    // (domain, command) -> the members serving it: rebuilt when a list changes (rare), read per forwarded request.
    private Dictionary<(string Domain, string Command), ImmutableArray<string>> _index = [];
    private ImmutableHashSet<string> _locatorDomains = ImmutableHashSet.Create<string>(StringComparer.Ordinal);
    private int _total;

    /// <summary>Every member's list, as last pulled.</summary>
    public ImmutableDictionary<string, RouteList> Snapshot => Volatile.Read(ref _byMember);

    /// <summary>Routes held, all members together.</summary>
    public int Total => Volatile.Read(ref _total);

    /// <summary>True unless the list held for <paramref name="member"/> is of this version and hash.</summary>
    public bool IsStale(string member, long version, string? hash) =>
        !Snapshot.TryGetValue(member, out var held) || held.Version != version || (hash is not null && held.Hash != hash);

    /// <summary>The list of <paramref name="member"/>, or null.</summary>
    public RouteList? Of(string member) => Snapshot.GetValueOrDefault(member);

    /// <summary>Stores a member's pulled list, replacing the one held.</summary>
    /// <returns>
    /// False when it would take the total over the limit: then the member is held with no routes at
    /// this version and hash (so the list is not pulled again until it changes).
    /// </returns>
    public bool Store(string member, RouteList list)
    {
        lock (_lock)
        {
            int old = _byMember.TryGetValue(member, out var held) ? held.Routes.Count : 0;
            bool fits = _total - old + list.Routes.Count <= maxRoutes;
            if (!fits)
            {
                list = list with { Routes = [] };
            }

            _total += list.Routes.Count - old;
            Volatile.Write(ref _byMember, _byMember.SetItem(member, list));
            Reindex();
            return fits;
        }
    }

    /// <summary>Forgets a member's list (it died, left or lost the gateway role).</summary>
    public void Remove(string member)
    {
        lock (_lock)
        {
            if (_byMember.TryGetValue(member, out var held))
            {
                _total -= held.Routes.Count;
                Volatile.Write(ref _byMember, _byMember.Remove(member));
                Reindex();
            }
        }
    }

    /// <summary>
    /// The members whose pulled list serves (domain, command): an exact registration, or one for
    /// command <c>*</c> of the domain (as the local route table matches: <c>*</c> does not take the
    /// gateway's own <c>@</c> commands, <see cref="Routing.RouteTable.Wildcarded"/>).
    /// </summary>
    public ImmutableArray<string> MembersServing(string domain, string command)
    {
        var index = Volatile.Read(ref _index);
        if (index.Count == 0)
        {
            return None;
        }

        index.TryGetValue((domain, command), out var exact);
        if (!Routing.RouteTable.Wildcarded(command) || !index.TryGetValue((domain, "*"), out var any))
        {
            return exact.IsDefault ? None : exact;
        }

        return exact.IsDefaultOrEmpty ? any : [.. exact.Union(any, StringComparer.Ordinal)];
    }

    /// <summary>True when some member's list has (domain, command) itself (no wildcard).</summary>
    public bool AnyServesExactly(string domain, string command) => Volatile.Read(ref _index).ContainsKey((domain, command));

    /// <summary>Domains whose locator (<c>@locate</c>) some member hosts; read per request without a lock.</summary>
    public ImmutableHashSet<string> LocatorDomains => Volatile.Read(ref _locatorDomains);

    private void Reindex()
    {
        var index = new Dictionary<(string Domain, string Command), ImmutableArray<string>>();
        foreach (var (member, list) in _byMember)
        {
            foreach (var route in list.Routes)
            {
                var key = (route.Domain, route.Command);
                if (!index.TryGetValue(key, out var members))
                {
                    index[key] = [member];
                }
                else if (!members.Contains(member))
                {
                    index[key] = members.Add(member); // a hostile list may repeat a route
                }
            }
        }

        Volatile.Write(ref _index, index);
        Volatile.Write(ref _locatorDomains, index.Keys.Where(k => k.Command == Protocol.LocatorAnswer.Command).Select(k => k.Domain).ToImmutableHashSet(StringComparer.Ordinal));
    }
}
