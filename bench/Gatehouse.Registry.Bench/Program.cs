using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gatehouse.Bench.Processes;
using Gatehouse.Cluster.Etcd;
using Gatehouse.Cluster.Registry;
using Microsoft.Extensions.Logging.Abstractions;

// Route-change propagation through the etcd registry (docs/cluster.md, "etcd registry", benchmark).
//   dotnet run -c Release --project bench/Gatehouse.Registry.Bench -- [--gateways 100] [--changes 50] [--smoke]
//   ... --hold ENDPOINTS ID TTL_SECONDS   (tests: one member registered until the process is killed)
// Exit 0 when every change was seen by every other gateway; 1 when one was missed; 2 for bad options; 3 when etcd could not be started.
int gateways = 100, changes = 50;
bool smoke = false;
if (args is ["--hold", var endpoints, var id, var ttlSeconds])
{
    // One registered member and nothing else, until killed (tests SIGKILL it: its keys go when its lease expires).
    var holdOptions = new EtcdRegistryOptions { Endpoints = endpoints.Split(','), Cluster = "test", LeaseTtl = TimeSpan.FromSeconds(int.Parse(ttlSeconds, CultureInfo.InvariantCulture)) };
    await using var member = new EtcdRegistry(id, holdOptions, NullLogger.Instance);
    member.Start();
    await member.PublishMemberAsync(new LocalMember("127.0.0.1:7340", null, 0, "hold"));
    Console.WriteLine($"READY {member.LeaseId}");
    await Task.Delay(Timeout.Infinite);
}

for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--gateways" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out gateways) && gateways is >= 2 and <= 1000:
        case "--changes" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out changes) && changes is >= 1 and <= 10_000:
            i++;
            break;
        case "--smoke":
            smoke = true;
            (gateways, changes) = (20, 10);
            break;
        default:
            Console.Error.WriteLine($"unknown or bad option '{args[i]}'; options: --gateways N (2-1000), --changes N (1-10000), --smoke");
            return 2;
    }
}

EtcdCluster etcd;
try
{
    etcd = await EtcdCluster.StartAsync(3);
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine("cannot start etcd: " + ex.Message);
    return 3;
}

await using var cluster = etcd;
var options = new EtcdRegistryOptions { Endpoints = etcd.ClientUrls, Cluster = "bench" };
var registries = new List<EtcdRegistry>();
var seen = new ConcurrentDictionary<(int Observer, long Version), long>(); // when each observer saw route version V (Stopwatch ticks)
var clock = Stopwatch.StartNew();
try
{
    var setup = Stopwatch.StartNew();
    for (int g = 0; g < gateways; g++)
    {
        // Each registry has its own channels to etcd, like a gateway of its own; they start spread over the endpoints.
        var r = new EtcdRegistry($"SHA256:gw{g:D4}", options with { Endpoints = [.. etcd.ClientUrls.Skip(g % 3), .. etcd.ClientUrls.Take(g % 3)] }, NullLogger.Instance);
        int observer = g;
        r.Changed += (sender, change) =>
        {
            if (change.Kind == RegistryChangeKind.Routes && !change.Removed && ((EtcdRegistry)sender!).View.Routes.TryGetValue(change.Id, out var list))
            {
                seen.TryAdd((observer, list.Version), clock.ElapsedTicks);
            }
        };
        r.Start();
        registries.Add(r);
    }

    await Task.WhenAll(registries.Select(r => r.PublishMemberAsync(new LocalMember("127.0.0.1:7340", null, 0, "bench"))));
    while (registries.Any(r => r.View.Members.Count < gateways))
    {
        await Task.Delay(50);
    }

    Console.WriteLine($"{(smoke ? "smoke run: " : "")}{gateways} gateways registered and seeing each other in {setup.Elapsed.TotalSeconds:F1} s (3 etcd members on loopback)");

    // One change at a time from a random gateway, 200 ms apart: the time until every other gateway saw it.
    var random = new Random(1);
    var perObserver = new List<double>();
    var allSeen = new List<double>();
    int missed = 0;
    for (int c = 0; c < changes; c++)
    {
        int writer = random.Next(gateways);
        long version = 1000 + c;
        long start = clock.ElapsedTicks;
        await registries[writer].PublishRoutesAsync(new MemberRoutes(version, Encoding.UTF8.GetBytes($"[\"change {c}\"]")));
        var deadline = Stopwatch.StartNew();
        while (Enumerable.Range(0, gateways).Any(o => o != writer && !seen.ContainsKey((o, version))) && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(5);
        }

        var times = Enumerable.Range(0, gateways).Where(o => o != writer)
            .Select(o => seen.TryGetValue((o, version), out long t) ? (double?)((t - start) * 1000.0 / Stopwatch.Frequency) : null).ToList();
        missed += times.Count(t => t is null);
        perObserver.AddRange(times.Where(t => t is not null).Select(t => t!.Value));
        if (times.All(t => t is not null))
        {
            allSeen.Add(times.Max()!.Value);
        }

        await Task.Delay(200);
    }

    // Every gateway at once: each publishes a new version, all together.
    long burstStart = clock.ElapsedTicks;
    await Task.WhenAll(registries.Select((r, g) => r.PublishRoutesAsync(new MemberRoutes(100_000 + g, Encoding.UTF8.GetBytes("[\"burst\"]")))));
    var burstDeadline = Stopwatch.StartNew();
    bool BurstDone() => Enumerable.Range(0, gateways).All(o => Enumerable.Range(0, gateways).All(w => w == o || seen.ContainsKey((o, 100_000 + w))));
    while (!BurstDone() && burstDeadline.Elapsed < TimeSpan.FromSeconds(30))
    {
        await Task.Delay(10);
    }

    var burst = Enumerable.Range(0, gateways).SelectMany(o => Enumerable.Range(0, gateways).Where(w => w != o)
        .Select(w => seen.TryGetValue((o, 100_000 + w), out long t) ? (double?)((t - burstStart) * 1000.0 / Stopwatch.Frequency) : null)).ToList();
    int burstMissed = burst.Count(t => t is null);

    static string Dist(List<double> ms)
    {
        if (ms.Count == 0)
        {
            return "no samples";
        }

        ms.Sort();
        double P(double p) => ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(p * ms.Count) - 1)];
        return $"p50 {P(0.50):F1} ms, p90 {P(0.90):F1} ms, p99 {P(0.99):F1} ms, max {ms[^1]:F1} ms ({ms.Count} samples)";
    }

    Console.WriteLine($"one change at a time ({changes} changes, each from a random gateway):");
    Console.WriteLine($"  seen by each other gateway:       {Dist(perObserver)}");
    Console.WriteLine($"  seen by every other gateway:      {Dist(allSeen)}");
    Console.WriteLine($"  missed (not seen within 10 s):    {missed}");
    Console.WriteLine($"all {gateways} gateways changing at once ({gateways * (gateways - 1)} observations):");
    Console.WriteLine($"  seen by each other gateway:       {Dist([.. burst.Where(t => t is not null).Select(t => t!.Value)])}");
    Console.WriteLine($"  missed (not seen within 30 s):    {burstMissed}");
    return missed + burstMissed == 0 ? 0 : 1;
}
finally
{
    await Task.WhenAll(registries.Select(r => r.DisposeAsync().AsTask()));
}
