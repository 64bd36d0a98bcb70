using System.Net;
using Gatehouse.Cluster.Membership;

namespace Gatehouse.Membership.Tests.Simulation;

/// <summary>
/// The reliable path in the simulator: a "TLS connection" works unless the members are partitioned or
/// one is down (UDP blocking does not affect it). The remote side runs as an event of the remote host,
/// so a stalled member answers late. Failures surface after a connect timeout.
/// </summary>
public sealed class SimStateExchange(SimClock clock, SimNetwork network, SimEndpoint local, Func<IPEndPoint, SwimNode?> nodeAt) : IStateExchange
{
    /// <summary>Idle time after which a link (a TLS connection this member dialed) is closed, as the gateway's LinkInactivityTimeout.</summary>
    public static readonly TimeSpan LinkInactivity = TimeSpan.FromMinutes(5);

    private readonly Dictionary<IPEndPoint, long> _linkUsed = [];

    /// <summary>True when this member holds an open link to <paramref name="address"/> (it dialed it and used it within <see cref="LinkInactivity"/>).</summary>
    public bool HasLinkTo(IPEndPoint address) => _linkUsed.TryGetValue(address, out long at) && clock.Now - at < LinkInactivity.Ticks;

    /// <summary>How long a connection attempt to an unreachable member takes to fail.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(1);

    public Task<IReadOnlyList<MemberSnapshot>> ExchangeAsync(IPEndPoint address, IReadOnlyList<MemberSnapshot> mine, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<IReadOnlyList<MemberSnapshot>>();
        if (!network.CanConnect(local, address, out SimEndpoint? remote))
        {
            clock.Schedule(ConnectTimeout, local.Host, () => done.TrySetException(new IOException($"connect to {address} timed out")));
            return done.Task;
        }

        // Handshake and request: one round trip plus the transfer; the answer comes back as long.
        TimeSpan oneWay = (network.NextDelay() * 2) + Transfer(mine.Count);
        clock.Schedule(oneWay, remote!.Host, () =>
        {
            SwimNode? node = remote.Host.Up ? nodeAt(address) : null;
            IDisposable? lease = node?.TryBeginIncomingExchange();
            if (node is null || lease is null)
            {
                clock.Schedule(network.NextDelay(), local.Host, () => done.TrySetException(new IOException("refused")));
                return;
            }

            IReadOnlyList<MemberSnapshot> theirs = node.LocalState();
            node.MergeRemoteState(mine);
            clock.Schedule(network.NextDelay() + Transfer(theirs.Count), local.Host, () =>
            {
                _linkUsed[address] = clock.Now;
                lease.Dispose();
                done.TrySetResult(theirs);
            });
        });
        return done.Task;
    }

    public Task<bool> PingAsync(IPEndPoint address, string memberId, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<bool>();
        if (!network.CanConnect(local, address, out SimEndpoint? remote))
        {
            clock.Schedule(ConnectTimeout, local.Host, () => done.TrySetResult(false));
            return done.Task;
        }

        clock.Schedule(network.NextDelay() * 2, remote!.Host, () =>
        {
            bool alive = remote.Host.Up && nodeAt(address)?.Id == memberId;
            clock.Schedule(network.NextDelay(), local.Host, () =>
            {
                if (alive)
                {
                    _linkUsed[address] = clock.Now;
                }

                done.TrySetResult(alive);
            });
        });
        return done.Task;
    }

    // About 100 bytes per member at 1 Gbit/s.
    private static TimeSpan Transfer(int members) => TimeSpan.FromTicks(members * 8);
}
