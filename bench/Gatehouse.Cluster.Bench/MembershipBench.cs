using System.Diagnostics;
using Gatehouse.Cluster.Membership;
using Gatehouse.Membership.Tests.Simulation;

namespace Gatehouse.Cluster.Bench;

/// <summary>The figures of one cluster size.</summary>
internal sealed record SizeFigures(
    int Size,
    double DetectAllP50,
    double DetectAllP99,
    double DetectObserverP50,
    double DetectObserverP99,
    long FalseDeathsLoss,
    long FalseDeathsStall,
    double IdleBytesPerSecond,
    double IdleDatagramsPerSecond,
    double MetadataTo99Percent,
    double MassRestartAllAlive,
    int MaxPushPulls,
    double SimulatedSeconds,
    double RealSeconds,
    double PeakManagedMiB);

/// <summary>Runs every scenario of the benchmark on one simulated cluster size.</summary>
internal static class MembershipBench
{
    public static SizeFigures Run(int size, BenchOptions o, TextWriter log)
    {
        var wall = Stopwatch.StartNew();
        double simulated = 0;
        int trials = size >= 500 ? Math.Max(1, o.Trials / 2) : o.Trials;

        // Idle traffic, crash detection, metadata spread: one converged cluster without loss.
        using var c = new SimCluster(new SimClusterOptions { Size = size, Seed = o.Seed, ReplayWindow = size >= 500 ? 256 : 2048, MaxCachedCiphers = size >= 500 ? 8 : 64 });
        c.StartConverged();
        c.Clock.RunFor(TimeSpan.FromSeconds(5));
        long bytes0 = c.Members.Sum(m => m.Endpoint.BytesSent), datagrams0 = c.Members.Sum(m => m.Endpoint.DatagramsSent);
        TimeSpan idle = TimeSpan.FromSeconds(o.Smoke ? 20 : 60);
        c.Clock.RunFor(idle);
        double idleBytes = (c.Members.Sum(m => m.Endpoint.BytesSent) - bytes0) / (double)size / idle.TotalSeconds;
        double idleDatagrams = (c.Members.Sum(m => m.Endpoint.DatagramsSent) - datagrams0) / (double)size / idle.TotalSeconds;
        log.WriteLine($"  {size}: idle {idleBytes:F0} B/s per member ({wall.Elapsed.TotalSeconds:F1} s real)");

        var allTimes = new List<double>();
        var observerTimes = new List<double>();
        var random = new Random(o.Seed);
        for (int t = 0; t < trials; t++)
        {
            int victim = 1 + random.Next(size - 1);
            var seen = new Dictionary<int, double>();
            long killedAt = 0;
            void OnChange(int observer, MemberChange change)
            {
                if (change.Current.Id == c.Members[victim].Id && change.Current.State == MemberState.Dead && !seen.ContainsKey(observer))
                {
                    seen[observer] = TimeSpan.FromTicks(c.Clock.Now - killedAt).TotalSeconds;
                }
            }

            c.Changed += OnChange;
            c.Kill(victim);
            killedAt = c.Clock.Now;
            c.Clock.RunUntil(() => seen.Count >= size - 1, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(50));
            c.Changed -= OnChange;
            allTimes.Add(seen.Count >= size - 1 ? seen.Values.Max() : double.PositiveInfinity);
            observerTimes.AddRange(seen.Values);
            c.Restart(victim, [0]);
            c.Clock.RunUntil(c.AllRunningSeeAllAlive, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(500));
            c.Clock.RunFor(TimeSpan.FromSeconds(5));
        }

        log.WriteLine($"  {size}: detection done ({wall.Elapsed.TotalSeconds:F1} s real)");

        var metaTimes = new List<double>();
        for (int t = 0; t < 3; t++)
        {
            int source = random.Next(size);
            byte[] meta = [(byte)t, 1, 2, 3, 4, 5, 6, 7];
            var got = new HashSet<int>();
            long at = 0;
            double reached = double.PositiveInfinity;
            int needed = (int)Math.Ceiling(0.99 * (size - 1));
            void OnChange(int observer, MemberChange change)
            {
                if (change.Current.Id == c.Members[source].Id && change.Current.Metadata.Span.SequenceEqual(meta) && got.Add(observer) && got.Count == needed)
                {
                    reached = TimeSpan.FromTicks(c.Clock.Now - at).TotalSeconds;
                }
            }

            c.Changed += OnChange;
            at = c.Clock.Now;
            c.Members[source].Node!.UpdateMetadata(meta);
            c.Clock.RunUntil(() => got.Count >= needed, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10));
            c.Changed -= OnChange;
            metaTimes.Add(reached);
            c.Clock.RunFor(TimeSpan.FromSeconds(5));
        }

        // Mass restart: every member killed, then all restarted within 2 s, joining through 3 seeds.
        foreach (SimMember m in c.Members)
        {
            c.Kill(m.Index);
        }

        c.Clock.RunFor(TimeSpan.FromSeconds(5));
        long restartAt = c.Clock.Now;
        foreach (SimMember m in c.Members)
        {
            int index = m.Index;
            c.Clock.Schedule(TimeSpan.FromSeconds(2 * random.NextDouble()), null, () => c.Restart(index, [0, 1, 2]));
        }

        bool back = c.Clock.RunUntil(() => c.Members.All(m => m.Running) && c.AllRunningSeeAllAlive(), TimeSpan.FromSeconds(300), TimeSpan.FromMilliseconds(250));
        double massRestart = back ? TimeSpan.FromTicks(c.Clock.Now - restartAt).TotalSeconds : double.PositiveInfinity;
        int maxPushPulls = c.Members.Max(m => m.MaxPushPulls);
        simulated += c.Clock.Elapsed.TotalSeconds;
        log.WriteLine($"  {size}: metadata and mass restart done ({wall.Elapsed.TotalSeconds:F1} s real)");

        // False deaths under random loss.
        long lossDeaths;
        using (var lossy = new SimCluster(new SimClusterOptions { Size = size, Seed = o.Seed + 1, Loss = o.Loss, ReplayWindow = size >= 500 ? 256 : 2048, MaxCachedCiphers = size >= 500 ? 8 : 64 }))
        {
            lossy.StartConverged();
            lossy.Clock.RunFor(TimeSpan.FromMinutes(o.Minutes));
            lossDeaths = lossy.FalseDeaths;
            simulated += lossy.Clock.Elapsed.TotalSeconds;
            maxPushPulls = Math.Max(maxPushPulls, lossy.Members.Max(m => m.MaxPushPulls));
        }

        log.WriteLine($"  {size}: {o.Minutes} min at {o.Loss:P0} loss done ({wall.Elapsed.TotalSeconds:F1} s real)");

        // False deaths with one member stalled 2 s of every 10 s.
        long stallDeaths;
        using (var stalled = new SimCluster(new SimClusterOptions { Size = size, Seed = o.Seed + 2, ReplayWindow = size >= 500 ? 256 : 2048, MaxCachedCiphers = size >= 500 ? 8 : 64 }))
        {
            stalled.StartConverged();
            int rounds = (int)(o.Minutes * 6);
            for (int k = 0; k < rounds; k++)
            {
                stalled.Clock.RunFor(TimeSpan.FromSeconds(8));
                stalled.Stall(1, TimeSpan.FromSeconds(2));
                stalled.Clock.RunFor(TimeSpan.FromSeconds(2));
            }

            stallDeaths = stalled.FalseDeaths;
            simulated += stalled.Clock.Elapsed.TotalSeconds;
        }

        log.WriteLine($"  {size}: stall run done ({wall.Elapsed.TotalSeconds:F1} s real)");
        double peak = GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0;
        return new SizeFigures(
            size,
            Percentile(allTimes, 0.50),
            Percentile(allTimes, 0.99),
            Percentile(observerTimes, 0.50),
            Percentile(observerTimes, 0.99),
            lossDeaths,
            stallDeaths,
            idleBytes,
            idleDatagrams,
            metaTimes.Max(),
            massRestart,
            maxPushPulls,
            simulated,
            wall.Elapsed.TotalSeconds,
            peak);
    }

    /// <summary>Nearest-rank percentile; infinity when the list is empty.</summary>
    public static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.PositiveInfinity;
        }

        var sorted = values.OrderBy(v => v).ToList();
        int rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
