using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Membership;
using Gatehouse.Protocol;
using Gatehouse.Service;
using Gatehouse.Service.Discovery;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// Services find the cluster themselves (docs/services.md): real gateways in one cluster on
/// loopback (TLS and UDP), a real service given one of them. Also the pure parts (the member list
/// parser, the choice of members) and an older gateway that will not list members.
/// </summary>
public sealed class ServiceDiscoveryTests(ITestOutputHelper output)
{
    private const string Domain = "inventory";

    /// <summary>Discovery as the tests use it: a read every second (the least allowed).</summary>
    private static readonly DiscoveryOptions Fast = new() { Interval = TimeSpan.FromSeconds(1) };

    [Fact]
    public async Task A_service_given_one_member_attaches_to_all_three_drops_one_that_stops_and_attaches_to_one_that_joins_later()
    {
        await using var cluster = await Cluster.StartAsync(3);
        var (a, b, c) = (cluster[0], cluster[1], cluster[2]);
        var log = new EventLog();
        var identity = a.Authorize("svc", PeerRoles.Service, Domain);
        var clock = Stopwatch.StartNew();
        await using var service = RunningService.Start(identity, "svc", [Seed(a)], Fast, log, a.Errors, () => cluster.Members);

        // (The gateway lists the route once it registered it; the service counts the gateway once the answer is back.)
        await Until(() => cluster.All(g => Serves(g, "svc")) && service.Service.ConnectedGateways == 3, "the service never attached to all three members", log: log);
        output.WriteLine($"attached to all three members {clock.Elapsed.TotalSeconds:0.00} s after start");
        Assert.Equal(3, service.Service.ConnectedGateways);
        var gateways = service.Service.Gateways;
        Assert.Equal(3, gateways.Count);
        Assert.All(gateways, g => Assert.True(g.IsAttached));
        Assert.Equal([(a.Server.Fingerprint, false)], gateways.Where(g => !g.Discovered).Select(g => (g.Target.Fingerprint, g.Discovered)));
        Assert.Equal(
            new[] { b.Server.Fingerprint.ToString(), c.Server.Fingerprint.ToString() }.Order(),
            gateways.Where(g => g.Discovered).Select(g => g.Target.Fingerprint.ToString()).Order());
        Assert.All(cluster.Members, g => Assert.Single(g.Server.Runtime.Routes.Snapshot().Single(r => r.Domain == Domain).Services));

        // A client of c is served by the service through its own attachment to c.
        var client = c.Client(c.Authorize("alice", PeerRoles.Client, Domain));
        var result = await client.CallAsync(new CallRequest("whoami") { Domain = Domain });
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(1, c.Server.Runtime.Routes.Snapshot().Single(r => r.Domain == Domain).Services.Single().Served);

        // c shuts down (it tells the others it leaves, then closes its connections): the service
        // stops dialling it once the member list says so.
        var cPrint = c.Server.Fingerprint;
        clock.Restart();
        await cluster.StopAsync(c);
        await Until(() => service.Service.Gateways.All(g => g.Target.Fingerprint != cPrint), "the service kept a member that stopped", log: log);
        output.WriteLine($"dropped the member that stopped {clock.Elapsed.TotalSeconds:0.00} s after its shutdown began");
        Assert.Equal(2, service.Service.ConnectedGateways);
        Assert.Contains(log.Entries, e => e.Id == 3005 && e.Message.Contains(cPrint.ToString(), StringComparison.Ordinal)
            && (e.Message.Contains("the member is left", StringComparison.Ordinal) || e.Message.Contains("the member is dead", StringComparison.Ordinal)));

        // d joins later: the service attaches to it too.
        var d = await cluster.JoinAsync();
        clock.Restart();
        await Until(() => Serves(d, "svc") && service.Service.ConnectedGateways == 3, "the service never attached to the member that joined later");
        output.WriteLine($"attached to the member that joined {clock.Elapsed.TotalSeconds:0.00} s after every member saw it alive");
        Assert.Equal(3, service.Service.ConnectedGateways);
        Assert.True(Serves(a, "svc") && Serves(b, "svc"));
    }

    [Fact]
    public async Task With_MaxGateways_2_a_service_attaches_to_exactly_two_members_its_seed_and_the_best_ranked_other()
    {
        await using var cluster = await Cluster.StartAsync(3);
        var seed = cluster[1];
        var log = new EventLog();
        var identity = seed.Authorize("svc", PeerRoles.Service, Domain);
        await using var service = RunningService.Start(identity, "svc", [Seed(seed)], Fast with { MaxGateways = 2 }, log, seed.Errors, () => cluster.Members);

        await Until(() => cluster.Count(g => Serves(g, "svc")) == 2, "the service did not attach to two members");
        var expected = cluster.Members.Where(g => g != seed)
            .OrderBy(g => DiscoveryPlan.Rank(identity.Fingerprint, g.Server.Fingerprint)).First();
        Assert.True(Serves(seed, "svc"), "the seed is not among the two");
        Assert.True(Serves(expected, "svc"), "the member attached to is not the best ranked one");

        // Still exactly two after three more reads of the member list.
        int reads = log.Count(3008);
        await Until(() => log.Count(3008) >= reads + 3, "the member list was not read again");
        Assert.Equal(2, cluster.Count(g => Serves(g, "svc")));
        Assert.Equal(2, service.Service.Gateways.Count);
    }

    [Fact]
    public async Task A_service_of_a_lone_gateway_attaches_to_it_alone_and_reads_one_small_list_a_second()
    {
        await using var gw = await TestGateway.StartAsync();
        var log = new EventLog();
        var identity = gw.Authorize("svc", PeerRoles.Service, Domain);
        await using var service = RunningService.Start(identity, "svc", [Seed(gw)], Fast, log, gw.Errors, () => [gw]);
        var clock = Stopwatch.StartNew();
        await Until(() => log.Count(3008) >= 3, "the member list was not read three times");
        var elapsed = clock.Elapsed;

        var only = Assert.Single(service.Service.Gateways);
        Assert.Equal(new GatewayAttachment(Seed(gw), Discovered: false, IsAttached: true), only);
        Assert.Equal(1, service.Service.ConnectedGateways);
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Contains(log.Entries, e => e.Id == 3008 && e.Message.Contains("1 live members of 1", StringComparison.Ordinal));
        // One read at attachment, then one per interval: no more.
        Assert.True(log.Count(3008) <= (int)elapsed.TotalSeconds + 2, $"{log.Count(3008)} reads in {elapsed}");

        var result = await gw.Client(gw.Authorize("alice", PeerRoles.Client, Domain)).CallAsync(new CallRequest("whoami") { Domain = Domain });
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task With_discovery_off_a_service_attaches_to_its_configured_gateway_only_and_never_asks_for_members()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var (a, b) = (cluster[0], cluster[1]);
        var offLog = new EventLog();
        var onLog = new EventLog();
        await using var off = RunningService.Start(a.Authorize("off", PeerRoles.Service, Domain), "off", [Seed(a)], DiscoveryOptions.Off, offLog, a.Errors, () => cluster.Members);
        await using var on = RunningService.Start(a.Authorize("on", PeerRoles.Service, Domain), "on", [Seed(a)], Fast, onLog, a.Errors, () => cluster.Members);

        // The service with discovery on is the clock: by the time it is on both members and has read
        // the list three more times, the one with discovery off would have asked too.
        await Until(() => Serves(a, "off") && Serves(b, "on"), "the services never attached");
        int reads = onLog.Count(3008);
        await Until(() => onLog.Count(3008) >= reads + 3, "the member list was not read again");
        Assert.False(Serves(b, "off"));
        Assert.Equal(new GatewayAttachment(Seed(a), Discovered: false, IsAttached: true), Assert.Single(off.Service.Gateways));
        Assert.DoesNotContain(offLog.Entries, e => e.Id is >= 3004 and <= 3008);
    }

    [Theory]
    [InlineData(ErrorCode.Access, "Access denied: gatehouse members needs the admin or gateway role; svc has service")]
    [InlineData(ErrorCode.UnknownCommand, "Unknown command: nothing serves gatehouse/members")]
    public async Task A_service_whose_older_gateway_refuses_members_stays_attached_says_so_once_and_asks_again_only_on_a_new_connection(ErrorCode code, string message)
    {
        // An older gateway (same protocol, real TLS) and a current lone gateway, both configured.
        await using var old = await OldGateway.StartAsync(CallStatus.Error(code, message));
        await using var gw = await TestGateway.StartAsync();
        var log = new EventLog();
        var identity = gw.Authorize("svc", PeerRoles.Service, Domain);
        old.Authorize(identity.Fingerprint);
        await using var service = RunningService.Start(identity, "svc", [old.Target, Seed(gw)], Fast, log, gw.Errors, () => [gw]);

        await Until(() => old.MembersAsked == 1 && service.Service.ConnectedGateways == 2, "the older gateway was not asked");
        int reads = log.Count(3008);
        await Until(() => log.Count(3008) >= reads + 3, "the current gateway was not asked instead");
        Assert.Equal(1, old.MembersAsked);
        Assert.Equal(1, log.Count(3006));
        Assert.Contains(message, log.Entries.Single(e => e.Id == 3006).Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Entries, e => e.Exception is not null);

        // The older gateway still sends requests to the service.
        Assert.Equal(CallStatus.Exit(0), await old.CallServiceAsync("whoami"));

        // A new connection (the gateway was upgraded, or a grant changed) is asked again; still said once.
        old.DropConnections();
        await Until(() => old.MembersAsked == 2, "the older gateway was not asked again on the new connection");
        await Until(() => service.Service.ConnectedGateways == 2, "the service did not reattach to the older gateway");
        Assert.Equal(1, log.Count(3006));
        Assert.Equal(2, service.Service.Gateways.Count);
    }

    [Fact]
    public async Task The_members_command_is_open_to_the_service_role_and_closed_to_a_client()
    {
        await using var gw = await TestGateway.StartAsync();
        var asService = gw.Client(gw.Authorize("svc", PeerRoles.Service, Domain));
        var listed = await asService.CallAsync(new CallRequest("members", "--json") { Domain = RequestHeader.ControlDomain });
        Assert.Equal(0, listed.ExitCode);
        var self = Assert.Single(MemberList.Parse(listed.Stdout));
        Assert.True(self.Self);
        Assert.Equal(gw.Server.Fingerprint, self.Fingerprint);
        Assert.Equal("alive", self.State);
        Assert.Equal(gw.Endpoint.Port, self.Address.Port);

        var asClient = gw.NewClient("alice", PeerRoles.Client);
        var refused = await asClient.CallAsync(new CallRequest("members") { Domain = RequestHeader.ControlDomain });
        Assert.Equal(ErrorCode.Access, refused.Status.ErrorCode);
        Assert.Contains("admin, service or gateway role; alice has client", refused.Status.Message, StringComparison.Ordinal);
    }

    // ---- The member list parser (pure) ----

    [Fact]
    public void The_member_list_parser_reads_what_members_json_prints_and_ignores_other_fields()
    {
        var fp1 = Print(1);
        var fp2 = Print(2);
        string json = $$"""
            [ { "fingerprint": "{{fp1}}", "state": "alive", "address": "10.0.0.1:7340", "host": "gw1", "routes": 3, "self": true,
                "routeList": [ { "domain": "d", "command": "c", "services": 1, "concurrency": 8 } ] },
              { "fingerprint": "{{fp2}}", "state": "joining", "address": "[fe80::1]:7341", "self": false } ]
            """;
        var members = MemberList.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(2, members.Count);
        Assert.Equal(new ClusterMember(fp1, "alive", new Endpoint("10.0.0.1", 7340), true), members[0]);
        Assert.True(members[0].IsLive);
        Assert.Equal(new Endpoint("fe80::1", 7341), members[1].Address);
        Assert.False(members[1].IsLive); // a state this version does not know is not live
    }

    [Theory]
    [InlineData("", "not JSON")]
    [InlineData("[", "not JSON")]
    [InlineData("{}", "not an array")]
    [InlineData("[1]", "not an object")]
    [InlineData("""[{"state":"alive","address":"a:1"}]""", "no 'fingerprint'")]
    [InlineData("""[{"fingerprint":"SHA256:nope","state":"alive","address":"a:1"}]""", "not a fingerprint")]
    [InlineData("""[{"fingerprint":"FP","state":"alive"}]""", "no 'address'")]
    [InlineData("""[{"fingerprint":"FP","state":"alive","address":"a:99999"}]""", "bad port")]
    [InlineData("""[{"fingerprint":"FP","state":"alive","address":"a:0"}]""", "has no port")]
    [InlineData("""[{"fingerprint":"FP","address":"a:1"}]""", "no 'state'")]
    [InlineData("""[{"fingerprint":"FP","state":7,"address":"a:1"}]""", "no 'state'")]
    [InlineData("""[{"fingerprint":"FP","state":"alive","address":"a:1","self":"yes"}]""", "'self' is not true or false")]
    public void The_member_list_parser_refuses_what_is_not_a_member_list_with_a_message_saying_why(string json, string why)
    {
        var ex = Assert.Throws<FormatException>(() => MemberList.Parse(Encoding.UTF8.GetBytes(json.Replace("FP", Print(1).ToString(), StringComparison.Ordinal))));
        Assert.Contains(why, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_member_list_parser_refuses_deep_nesting_without_recursing_far()
    {
        string json = new string('[', 10_000) + new string(']', 10_000);
        Assert.Throws<FormatException>(() => MemberList.Parse(Encoding.UTF8.GetBytes(json)));
    }

    // ---- The choice of members (pure) ----

    [Fact]
    public void The_plan_takes_every_live_member_but_the_seeds_and_none_that_is_dead_or_left()
    {
        var seed = Target(0);
        var members = new[] { Member(0, "alive", self: true), Member(1, "alive"), Member(2, "suspect"), Member(3, "dead"), Member(4, "left"), Member(1, "alive") };
        var chosen = DiscoveryPlan.Choose([seed], members, Print(100), maxGateways: 0);
        Assert.Equal(new[] { Print(1), Print(2) }.Select(p => p.ToString()).Order(), chosen.Select(t => t.Fingerprint.ToString()).Order());
        Assert.Equal(new Endpoint("10.0.0.2", 7340), chosen.Single(t => t.Fingerprint == Print(2)).Endpoint);
    }

    [Fact]
    public void With_MaxGateways_the_seeds_take_their_places_first_and_a_dead_seed_frees_its_place()
    {
        var seeds = new[] { Target(0), Target(1) };
        var members = Enumerable.Range(0, 6).Select(i => Member(i, "alive")).ToArray();
        Assert.Single(DiscoveryPlan.Choose(seeds, members, Print(100), maxGateways: 3));
        Assert.Empty(DiscoveryPlan.Choose(seeds, members, Print(100), maxGateways: 2));
        Assert.Empty(DiscoveryPlan.Choose(seeds, members, Print(100), maxGateways: 1)); // the seeds stay; nothing beyond them

        members[1] = Member(1, "dead");
        Assert.Equal(2, DiscoveryPlan.Choose(seeds, members, Print(100), maxGateways: 3).Count);
    }

    [Fact]
    public void Services_spread_evenly_over_the_members_and_a_member_leaving_moves_only_its_own_services()
    {
        var seed = Target(0);
        var members = Enumerable.Range(0, 11).Select(i => Member(i, "alive")).ToList();
        var services = Enumerable.Range(1000, 1000).Select(Print).ToList();
        var before = services.ToDictionary(s => s, s => DiscoveryPlan.Choose([seed], members, s, maxGateways: 2).Single().Fingerprint);

        // 10 members besides the seed, 1,000 services: each member gets about 100.
        var perMember = before.Values.GroupBy(f => f).Select(g => g.Count()).ToList();
        Assert.Equal(10, perMember.Count);
        Assert.All(perMember, n => Assert.InRange(n, 60, 140));

        // Member 5 leaves: only the services that had it move.
        members.RemoveAt(5);
        foreach (var s in services)
        {
            var now = DiscoveryPlan.Choose([seed], members, s, maxGateways: 2).Single().Fingerprint;
            if (before[s] != Print(5))
            {
                Assert.Equal(before[s], now);
            }
        }
    }

    [Fact]
    public void Options_are_checked_when_the_service_is_made()
    {
        using var identity = PeerIdentity.CreateEphemeral("svc");
        var good = new ServiceOptions { Identity = identity, Gateways = [Target(1)] };
        Assert.Same(good, good.Validate());
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => new GatehouseService(good with { Gateways = [] })).Message, StringComparison.Ordinal);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => new GatehouseService(good with { Gateways = [Target(1), Target(1) with { Endpoint = new Endpoint("other", 1) }] })).Message, StringComparison.Ordinal);
        Assert.Contains("Discovery.MaxGateways", Assert.Throws<ArgumentOutOfRangeException>(() => new GatehouseService(good with { Discovery = new() { MaxGateways = -1 } })).Message, StringComparison.Ordinal);
        Assert.Contains("Discovery.Interval", Assert.Throws<ArgumentOutOfRangeException>(() => new GatehouseService(good with { Discovery = new() { Interval = TimeSpan.FromMilliseconds(10) } })).Message, StringComparison.Ordinal);
        Assert.Contains("Discovery.MaxMemberListBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new GatehouseService(good with { Discovery = new() { MaxMemberListBytes = 10 } })).Message, StringComparison.Ordinal);
        Assert.Contains("Connection.MaxBackoff", Assert.Throws<ArgumentOutOfRangeException>(() => new GatehouseService(good with { Connection = ConnectionOptions.Default with { MaxBackoff = TimeSpan.FromDays(2) } })).Message, StringComparison.Ordinal);
    }

    // ---- Helpers ----

    private static GatewayTarget Seed(TestGateway gateway) => new(gateway.Endpoint, gateway.Server.Fingerprint);

    /// <summary>True when <paramref name="gateway"/>'s route table holds the service named <paramref name="name"/> (its grant's name) in the test domain.</summary>
    private static bool Serves(TestGateway gateway, string name) =>
        gateway.Server.Runtime.Routes.Snapshot().Any(r => r.Domain == Domain && r.Services.Any(b => b.Service.StartsWith(name + "@", StringComparison.Ordinal)));

    /// <summary>A fixed fingerprint for number <paramref name="i"/>.</summary>
    private static Fingerprint Print(int i) => Fingerprint.Parse(Convert.ToHexString(SHA256.HashData(BitConverter.GetBytes(i))));

    private static GatewayTarget Target(int i) => new(new Endpoint($"10.0.0.{i}", 7340), Print(i));

    private static ClusterMember Member(int i, string state, bool self = false) => new(Print(i), state, new Endpoint($"10.0.0.{i}", 7340), self);

    private static async Task Until(Func<bool> condition, string failure, int seconds = 30, EventLog? log = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(seconds), log is null ? failure : failure + "; the service's log:\n  " + string.Join("\n  ", log.Entries.Select(e => $"{e.Level} {e.Id} {e.Message}")));
            await Task.Delay(25);
        }
    }

    /// <summary>A cluster of in-process gateways: the first alone, each other joining it and admitted there in the gateway role.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly List<TestGateway> _members = [];
        private readonly List<TestGateway> _all = [];

        public IReadOnlyList<TestGateway> Members => _members;

        public TestGateway this[int index] => _members[index];

        public int Count(Func<TestGateway, bool> predicate) => _members.Count(predicate);

        public bool All(Func<TestGateway, bool> predicate) => _members.All(predicate);

        public static async Task<Cluster> StartAsync(int size)
        {
            var cluster = new Cluster();
            try
            {
                var first = await TestGateway.StartAsync();
                cluster._members.Add(first);
                cluster._all.Add(first);
                for (int i = 1; i < size; i++)
                {
                    await cluster.AddAsync();
                }

                await cluster.ConvergedAsync();
                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        /// <summary>A new gateway joins the first; returns once every member sees every other alive.</summary>
        public async Task<TestGateway> JoinAsync()
        {
            var gateway = await AddAsync();
            await ConvergedAsync();
            return gateway;
        }

        /// <summary>Disposes <paramref name="gateway"/> (which checks it logged no error).</summary>
        public async Task StopAsync(TestGateway gateway)
        {
            _members.Remove(gateway);
            _all.Remove(gateway);
            await gateway.DisposeAsync();
        }

        private async Task<TestGateway> AddAsync()
        {
            var first = _members[0];
            var gateway = await TestGateway.StartAsync(o => o with
            {
                Cluster = o.Cluster with { Join = [JoinTarget.Parse($"127.0.0.1:{first.Endpoint.Port}={first.Server.Fingerprint}")] },
            });
            _members.Add(gateway);
            _all.Add(gateway);
            AuthorizedPeers.Upsert(first.Server.Runtime.Options.AuthorizedPath, new PeerGrant(gateway.Server.Fingerprint, $"gw-{_members.Count}", PeerRoles.Gateway, []));
            return gateway;
        }

        private Task ConvergedAsync() => Until(
            () => _members.All(o => _members.All(m => o == m || o.Server.Membership!.Members.Any(x => x.Id == m.Server.Fingerprint.ToString() && x.State == Gatehouse.Cluster.Membership.MemberState.Alive))),
            "the cluster's members never all saw each other alive", seconds: 40);

        public async ValueTask DisposeAsync()
        {
            // The service is stopped first (RunningService is disposed before the cluster); members after.
            var failures = new List<Exception>();
            foreach (var gateway in Enumerable.Reverse(_all))
            {
                try
                {
                    await gateway.DisposeAsync();
                }
                catch (Exception ex)
                {
                    failures.Add(ex);
                }
            }

            if (failures.Count > 0)
            {
                throw new AggregateException(failures);
            }
        }
    }

    /// <summary>
    /// A <see cref="GatehouseService"/> running until disposed; its log goes to an <see cref="EventLog"/>
    /// and the errors of a test gateway. Disposing stops it and waits until no gateway of the test lists it
    /// any more, so that the gateways are not disposed while they are still removing its routes.
    /// </summary>
    private sealed class RunningService : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly string _name;
        private readonly Func<IEnumerable<TestGateway>> _watched;
        private Task _run = Task.CompletedTask;

        private RunningService(GatehouseService service, string name, Func<IEnumerable<TestGateway>> watched)
        {
            Service = service;
            _name = name;
            _watched = watched;
        }

        public GatehouseService Service { get; }

        /// <param name="name">The name of the service's grant (how route tables show it).</param>
        /// <param name="watched">The gateways of the test, checked at dispose.</param>
        public static RunningService Start(PeerIdentity identity, string name, IReadOnlyList<GatewayTarget> gateways, DiscoveryOptions discovery, EventLog log, ErrorLog errors, Func<IEnumerable<TestGateway>> watched)
        {
            var logger = new FanOutLogger(log.CreateLogger("service"), errors.CreateLogger("service " + identity.Fingerprint));
            var service = new GatehouseService(new ServiceOptions
            {
                Identity = identity,
                Gateways = gateways,
                Discovery = discovery,
                Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(5), MaxBackoff = TimeSpan.FromMilliseconds(500) },
            }, logger);
            service.Map(Domain, "whoami", async ctx =>
            {
                await ctx.WriteAsync("ok\n");
                return 0;
            });
            var running = new RunningService(service, name, watched);
            running._run = service.RunAsync(running._stop.Token);
            return running;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run.WaitAsync(TimeSpan.FromSeconds(30));
            _stop.Dispose();
            await Until(() => !_watched().Any(g => Serves(g, _name)), $"a gateway still lists {_name} after it stopped");
        }
    }

    /// <summary>Every log entry of every level with its event id (the service's lines are counted by id).</summary>
    private sealed class EventLog : ILoggerProvider
    {
        private readonly ConcurrentQueue<(int Id, LogLevel Level, string Message, Exception? Exception)> _entries = new();

        public IReadOnlyCollection<(int Id, LogLevel Level, string Message, Exception? Exception)> Entries => _entries;

        public int Count(int id) => _entries.Count(e => e.Id == id);

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose() { }

        private sealed class Logger(EventLog owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._entries.Enqueue((eventId.Id, logLevel, formatter(state, exception), exception));
        }
    }

    /// <summary>Writes to two loggers.</summary>
    private sealed class FanOutLogger(ILogger first, ILogger second) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => first.IsEnabled(logLevel) || second.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            first.Log(logLevel, eventId, state, exception, formatter);
            second.Log(logLevel, eventId, state, exception, formatter);
        }
    }

    /// <summary>
    /// A gateway of an older version, as a service sees it: the same native protocol over real TLS
    /// on loopback, pinned by fingerprint, that accepts the service's registrations and sends it
    /// requests, but answers <c>members</c> with the refusal it was given (an older gateway either
    /// had no such command or kept it to admins and members).
    /// </summary>
    private sealed class OldGateway : IAsyncDisposable
    {
        private readonly PeerIdentity _identity = PeerIdentity.CreateEphemeral("old-gateway");
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CallStatus _refusal;
        private readonly ConcurrentDictionary<MuxConnection, bool> _connections = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentDictionary<Task, bool> _serving = new();
        private Fingerprint _allowed;
        private Task _accept = Task.CompletedTask;
        private int _membersAsked;

        private OldGateway(CallStatus refusal) => _refusal = refusal;

        public GatewayTarget Target => new(new Endpoint("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port), _identity.Fingerprint);

        public int MembersAsked => Volatile.Read(ref _membersAsked);

        public static Task<OldGateway> StartAsync(CallStatus refusal)
        {
            var gateway = new OldGateway(refusal);
            gateway._listener.Start();
            gateway._accept = gateway.AcceptLoopAsync();
            return Task.FromResult(gateway);
        }

        public void Authorize(Fingerprint service) => _allowed = service;

        /// <summary>Sends a request to the attached service and returns its status.</summary>
        public async Task<CallStatus> CallServiceAsync(string command)
        {
            var connection = _connections.Keys.Single();
            var stream = await connection.OpenStreamAsync(new RequestHeader { Domain = Domain, Command = command }, endStream: true);
            return await stream.ReadToStatusAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }

        /// <summary>Closes every connection (as a restart would).</summary>
        public void DropConnections()
        {
            foreach (var connection in _connections.Keys)
            {
                _ = connection.AbortAsync(CallStatus.Error(ErrorCode.ShuttingDown, "Restarting"));
            }
        }

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                var serving = ServeConnectionAsync(socket, _stop.Token);
                _serving[serving] = true;
                _ = serving.ContinueWith(t => _serving.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        private async Task ServeConnectionAsync(Socket socket, CancellationToken stop)
        {
            var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
            MuxConnection? connection = null;
            try
            {
                await ssl.AuthenticateAsServerAsync(TlsSettings.ServerOptions(_identity), stop);
                if (ssl.RemoteCertificate is not X509Certificate2 certificate || Fingerprint.Of(certificate) != _allowed)
                {
                    await ssl.DisposeAsync();
                    return;
                }

                connection = new MuxConnection(MuxTransport.FromStream(ssl), isDialer: false, onRequest: Answer);
                _connections[connection] = true;
                await connection.StartAsync(stop);
                await connection.Completion.WaitAsync(stop);
            }
            catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException or ConnectionClosedException or TimeoutException)
            {
                // The service went away or the test ended: this connection is over.
            }
            finally
            {
                if (connection is not null)
                {
                    _connections.TryRemove(connection, out _);
                    await connection.DisposeAsync();
                }
                else
                {
                    await ssl.DisposeAsync();
                }
            }
        }

        private void Answer(MuxStream stream)
        {
            var header = stream.Header;
            if (header.Domain == RequestHeader.ControlDomain && header.Command == "register")
            {
                stream.Complete(CallStatus.Exit(0));
            }
            else if (header.Domain == RequestHeader.ControlDomain && header.Command == "members")
            {
                Interlocked.Increment(ref _membersAsked);
                stream.Complete(_refusal);
            }
            else
            {
                stream.Complete(CallStatus.Error(ErrorCode.UnknownCommand, "Unknown command"));
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accept;
            foreach (var connection in _connections.Keys)
            {
                await connection.DisposeAsync();
            }

            await Task.WhenAll(_serving.Keys).WaitAsync(TimeSpan.FromSeconds(10));
            _identity.Dispose();
            _stop.Dispose();
        }
    }
}
