using System.Net;
using Gatehouse.Cluster.Membership;
using Gatehouse.Cluster.Security;

namespace Gatehouse.Membership.Tests.Simulation;

/// <summary>How a simulated cluster is built.</summary>
public sealed record SimClusterOptions
{
    public int Size { get; init; } = 10;

    public int Seed { get; init; } = 1;

    public SwimOptions Swim { get; init; } = SwimOptions.Default;

    public double Loss { get; init; }

    /// <summary>Replay window per sender key; smaller saves memory in simulations of thousands of members.</summary>
    public int ReplayWindow { get; init; } = 2048;

    /// <summary>Cipher contexts cached per member (bounds memory at 1,000 members).</summary>
    public int MaxCachedCiphers { get; init; } = 64;
}

/// <summary>
/// N members running the real <see cref="SwimNode"/> and <see cref="DatagramSecurity"/> over a
/// <see cref="SimNetwork"/> on one <see cref="SimClock"/>, with every random choice seeded. Plays the
/// integration layer: delivers send keys to every member (as the TLS key exchange would), joins,
/// crashes, restarts, stalls, partitions and leaves.
/// </summary>
public sealed class SimCluster : IDisposable
{
    private readonly SimClusterOptions _options;
    private readonly Random _random;
    private readonly Dictionary<IPEndPoint, SimMember> _byAddress = [];

    public SimCluster(SimClusterOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        Clock = new SimClock();
        Network = new SimNetwork(Clock, new Random(options.Seed ^ 0x5eed)) { Loss = options.Loss };
        var members = new List<SimMember>(options.Size);
        for (int i = 0; i < options.Size; i++)
        {
            var address = new IPEndPoint(new IPAddress([10, 0, (byte)(i / 250), (byte)(1 + (i % 250))]), 7340);
            var host = new SimHost();
            var member = new SimMember(i, $"gw-{i:D4}", address, host, Network.Attach(address, host));
            members.Add(member);
            _byAddress[address] = member;
        }

        Members = members;
        foreach (SimMember m in Members)
        {
            m.Security = NewSecurity(m);
        }

        foreach (SimMember m in Members)
        {
            DeliverKeys(m);
        }
    }

    public SimClock Clock { get; }

    public SimNetwork Network { get; }

    public IReadOnlyList<SimMember> Members { get; }

    /// <summary>Raised for every member change any member observes: (observer index, change).</summary>
    public event Action<int, MemberChange>? Changed;

    /// <summary>Dead declarations (by any observer) of members that were alive and running at the time.</summary>
    public long FalseDeaths { get; private set; }

    /// <summary>Starts every member knowing every other as alive (a converged cluster), probes spread over one interval.</summary>
    public void StartConverged()
    {
        List<MemberSnapshot> all = [];
        foreach (SimMember m in Members)
        {
            m.Node = NewNode(m);
            all.Add(m.Node.Find(m.Id)!);
        }

        foreach (SimMember m in Members)
        {
            m.Node!.MergeRemoteState(all);
            m.Node.ClearQueuedUpdates();
            m.Node.Start();
        }
    }

    /// <summary>Starts member 0, then every other member joining through member 0.</summary>
    public void StartByJoining()
    {
        foreach (SimMember m in Members)
        {
            m.Node = NewNode(m);
            m.Node.Start();
        }

        for (int i = 1; i < Members.Count; i++)
        {
            Join(Members[i], [0]);
        }
    }

    /// <summary>
    /// Crashes member <paramref name="index"/> (kill -9: no leave; datagrams to it are lost). Its kernel
    /// closes its TCP connections: each member holding an open link to it (one it dialed for a push-pull
    /// or a fallback ping within the link inactivity timeout) sees the link close one network delay later
    /// and, as the gateway does, probes it next (<see cref="SwimNode.ProbeSoon"/>).
    /// </summary>
    public void Kill(int index)
    {
        SimMember m = Members[index];
        m.NotePushPulls();
        m.Host.Up = false;
        m.Node?.Stop();
        m.Running = false;
        foreach (SimMember other in Members)
        {
            if (other.Running && other.Exchange is { } exchange && exchange.HasLinkTo(m.Address) && Network.SameSide(other.Endpoint, m.Address))
            {
                Clock.Schedule(Network.NextDelay(), other.Host, () => other.Node?.ProbeSoon(m.Id));
            }
        }
    }

    /// <summary>Restarts member <paramref name="index"/>: a new send key (delivered to all), a new incarnation, and a join through <paramref name="seeds"/>, retried every second until it works.</summary>
    public void Restart(int index, IReadOnlyList<int> seeds)
    {
        SimMember m = Members[index];
        m.NotePushPulls();
        m.Node?.Stop();
        m.Host.Generation++;
        m.Host.Up = true;
        m.Security?.Dispose();
        m.Security = NewSecurity(m);
        DeliverKeys(m);
        m.Node = NewNode(m);
        m.Node.Start();
        Join(m, seeds.Where(s => s != index).ToList());
    }

    /// <summary>Stalls member <paramref name="index"/> for <paramref name="span"/>: it runs nothing, then everything queued.</summary>
    public void Stall(int index, TimeSpan span) => Members[index].Host.StalledUntil = Clock.Now + span.Ticks;

    /// <summary>Splits the cluster: member i is in group <paramref name="groupOf"/>(i). </summary>
    public void Partition(Func<int, int> groupOf) => Network.Partition(a => groupOf(_byAddress[a].Index));

    public void Heal() => Network.Partition(null);

    /// <summary>Member <paramref name="index"/> leaves gracefully and stops after <paramref name="linger"/>.</summary>
    public void Leave(int index, TimeSpan linger)
    {
        SimMember m = Members[index];
        m.Node!.Leave();
        m.Running = false;
        Clock.Schedule(linger, m.Host, () =>
        {
            m.Node.Stop();
            m.Host.Up = false;
        });
    }

    /// <summary>What <paramref name="observer"/> believes of <paramref name="subject"/> (null: unknown).</summary>
    public MemberState? StateSeenBy(int observer, int subject) => Members[observer].Node!.Find(Members[subject].Id)?.State;

    /// <summary>Whether every running member other than <paramref name="subject"/> sees it in <paramref name="state"/>.</summary>
    public bool AllRunningSee(int subject, MemberState state) =>
        Members.Where(m => m.Running && m.Index != subject).All(m => StateSeenBy(m.Index, subject) == state);

    /// <summary>Whether every running member sees every other running member alive.</summary>
    public bool AllRunningSeeAllAlive()
    {
        int running = Members.Count(m => m.Running);
        if (running == Members.Count)
        {
            // Fast path for large clusters: every member counts n - 1 alive others.
            return Members.All(m => m.Node!.CountOthers(MemberState.Alive) == running - 1);
        }

        foreach (SimMember observer in Members)
        {
            if (!observer.Running)
            {
                continue;
            }

            foreach (SimMember subject in Members)
            {
                if (subject.Running && subject != observer && observer.Node!.Find(subject.Id)?.State != MemberState.Alive)
                {
                    return false;
                }
            }
        }

        return true;
    }

    public void Dispose()
    {
        foreach (SimMember m in Members)
        {
            m.Node?.Dispose();
            m.Security?.Dispose();
        }
    }

    private DatagramSecurity NewSecurity(SimMember m) =>
        new(m.Id, new DatagramSecurityOptions { ReplayWindow = _options.ReplayWindow, MaxCachedCiphers = _options.MaxCachedCiphers });

    /// <summary>What the integration layer does over TLS: m's send key to everyone, everyone's to m.</summary>
    private void DeliverKeys(SimMember m)
    {
        SendKey mine = m.Security!.CurrentSendKey;
        foreach (SimMember other in Members)
        {
            if (other == m || other.Security is null)
            {
                continue;
            }

            other.Security.InstallKey(m.Id, mine.KeyId, mine.Key.Span);
            SendKey theirs = other.Security.CurrentSendKey;
            m.Security.InstallKey(other.Id, theirs.KeyId, theirs.Key.Span);
        }
    }

    private SwimNode NewNode(SimMember m)
    {
        var exchange = new SimStateExchange(Clock, Network, m.Endpoint, a => _byAddress.TryGetValue(a, out SimMember? x) && x.Host.Up ? x.Node : null);
        m.Exchange = exchange;
        var node = new SwimNode(m.Id, m.Address, _options.Swim, m.Security!, m.Endpoint, exchange, Clock.For(m.Host), random: new Random(_random.Next()));
        int observer = m.Index;
        node.MemberChanged += (_, change) =>
        {
            if (change.Current.State == MemberState.Dead && change.StateChanged && _byAddress.TryGetValue(change.Current.Address, out SimMember? subject) && subject.Running && subject.Host.Up)
            {
                FalseDeaths++;
            }

            Changed?.Invoke(observer, change);
        };
        m.Running = true;
        return node;
    }

    private void Join(SimMember m, IReadOnlyList<int> seeds)
    {
        SwimNode node = m.Node!;
        node.JoinAsync(seeds.Select(s => Members[s].Address)).ContinueWith(
            t =>
            {
                if (t.Result == 0 && m.Node == node && m.Running)
                {
                    Clock.Schedule(TimeSpan.FromSeconds(1) * (0.5 + _random.NextDouble()), m.Host, () => Join(m, seeds));
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}

/// <summary>One simulated member: its address, host, datagram endpoint, keys and (current) node.</summary>
public sealed class SimMember(int index, string id, IPEndPoint address, SimHost host, SimEndpoint endpoint)
{
    public int Index { get; } = index;

    public string Id { get; } = id;

    public IPEndPoint Address { get; } = address;

    public SimHost Host { get; } = host;

    public SimEndpoint Endpoint { get; } = endpoint;

    public DatagramSecurity? Security { get; set; }

    public SwimNode? Node { get; set; }

    /// <summary>The current node's reliable path (its open links).</summary>
    public SimStateExchange? Exchange { get; set; }

    /// <summary>The most full-state exchanges in progress at once on any run of this member.</summary>
    public int MaxPushPulls => Math.Max(_maxPushPulls, Node?.MaxPushPullsInFlight ?? 0);

    private int _maxPushPulls;

    internal void NotePushPulls() => _maxPushPulls = MaxPushPulls;

    /// <summary>True while its process runs (not crashed, not left).</summary>
    public bool Running { get; set; }
}
