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
    private readonly object _lock = new();
    private ImmutableDictionary<string, RouteList> _byMember = ImmutableDictionary.Create<string, RouteList>(StringComparer.Ordinal);
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
            if (_total - old + list.Routes.Count > maxRoutes)
            {
                _total -= old;
                Volatile.Write(ref _byMember, _byMember.SetItem(member, list with { Routes = [] }));
                return false;
            }

            _total += list.Routes.Count - old;
            Volatile.Write(ref _byMember, _byMember.SetItem(member, list));
            return true;
        }
    }

    /// <summary>Forgets a member's list (it died, left or lost the gateway role).</summary>
    public void Remove(string member)
    {
        lock (_lock)
        {
            RemoveUnsynchronized(member);
        }
    }

    private void RemoveUnsynchronized(string member)
    {
        if (_byMember.TryGetValue(member, out var held))
        {
            _total -= held.Routes.Count;
            Volatile.Write(ref _byMember, _byMember.Remove(member));
        }
    }

    /// <summary>
    /// The members whose pulled list serves (domain, command): an exact registration, or one for
    /// command <c>*</c> of the domain (as the local route table matches).
    /// </summary>
    public IReadOnlyList<string> MembersServing(string domain, string command)
    {
        var found = new List<string>();
        foreach (var (member, list) in Snapshot)
        {
            if (list.Routes.Any(r => r.Domain == domain && (r.Command == command || r.Command == "*")))
            {
                found.Add(member);
            }
        }

        return found;
    }
}
