using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Gatehouse.Bench.Load;
using Gatehouse.Bench.Processes;
using Gatehouse.Bench.Report;
using Gatehouse.Bench.Systems;

namespace Gatehouse.Bench;

/// <summary>
/// Runs every system in turn (only one system's processes exist at a time): start its processes,
/// then for each scenario and repetition a warm-up run, a CPU snapshot of every process, the
/// measured run, a second snapshot. With <see cref="BenchOptions.Interleave"/>, the repetitions of
/// a direct scenario and of those measuring the same workload through the second member alternate
/// (<see cref="Interleaved"/>). Prints the table and writes the JSON.
/// </summary>
public static class BenchRunner
{
    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var settings = options.Smoke ? LoadSettings.Smoke : LoadSettings.Full;
        settings = settings with
        {
            Duration = options.Duration ?? settings.Duration,
            Repetitions = options.Repetitions ?? settings.Repetitions,
        };
        using var environment = new BenchEnvironment(options.RemctlRealmScript);
        var results = new List<SystemResult>();
        foreach (string id in options.Systems)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using IBenchSystem system = Create(id);
            results.Add(await RunSystemAsync(system, environment, settings, options.Scenarios, options.Interleave, cancellationToken));
        }

        string table = TableWriter.Write(results);
        string forwarding = TableWriter.WriteForwarding(results);
        Console.Out.WriteLine();
        Console.Out.WriteLine(TableWriter.Legend);
        Console.Out.WriteLine();
        Console.Out.Write(table);
        Console.Out.WriteLine();
        Console.Out.WriteLine(TableWriter.ForwardingLegend);
        Console.Out.WriteLine();
        Console.Out.Write(forwarding);
        Console.Out.Flush();
        if (options.JsonPath is { } path)
        {
            await File.WriteAllTextAsync(path, JsonReport.Write(options.Smoke ? "smoke" : "full", settings, options.Interleave, results, table, forwarding, Machine()), cancellationToken);
            Progress($"wrote {path}");
        }

        var gh = results[0];
        return gh.Unavailable is null && gh.Scenarios.Values.All(r => r.Error is null) ? 0 : 1;
    }

    private static IBenchSystem Create(string id) => id switch
    {
        "gatehouse" => new GatehouseSystem(),
        "gatehouse-observed" => new GatehouseSystem(observed: true),
        "nats" => new NatsSystem(),
        "grpc" => new GrpcSystem(),
        "remctld" => new RemctlSystem(),
        _ => throw new ArgumentException($"unknown system {id}"),
    };

    private static async Task<SystemResult> RunSystemAsync(IBenchSystem system, BenchEnvironment environment, LoadSettings settings, IReadOnlyList<string>? only, bool interleave, CancellationToken cancellationToken)
    {
        Progress($"{system.Title}: starting");
        try
        {
            await system.StartAsync(environment, cancellationToken).WaitAsync(TimeSpan.FromSeconds(120), cancellationToken);
        }
        catch (Exception ex) when (ex is SystemUnavailableException or TimeoutException or InvalidOperationException or IOException)
        {
            Progress($"{system.Title}: unavailable: {ex.Message}");
            return new SystemResult(system.Id, system.Title, Roles(system), ex.Message, new Dictionary<string, ScenarioResult>());
        }

        var selected = Scenario.All.Where(s => system.Supports(s) && (only is null || only.Contains(s.Id))).ToList();
        var scenarios = new Dictionary<string, ScenarioResult>();
        foreach (var group in interleave ? Interleaved(selected) : selected.Select(s => (IReadOnlyList<Scenario>)[s]))
        {
            foreach (var (id, result) in await RunGroupAsync(system, group, settings, cancellationToken))
            {
                scenarios[id] = result;
            }
        }

        return new SystemResult(system.Id, system.Title, Roles(system), null, scenarios);
    }

    /// <summary>
    /// <paramref name="selected"/> in groups whose repetitions alternate: each direct scenario with
    /// the forwarded and redirected ones measuring the same workload (same kind, requests in flight
    /// and payload), in <see cref="Scenario.All"/>'s order; every other scenario alone.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<Scenario>> Interleaved(IReadOnlyList<Scenario> selected)
    {
        static bool Pairs(ScenarioKind kind) => kind is ScenarioKind.Sequential or ScenarioKind.Throughput or ScenarioKind.LargeEcho or ScenarioKind.Stream;
        var groups = new List<IReadOnlyList<Scenario>>();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in selected.Where(s => !placed.Contains(s.Id)))
        {
            List<Scenario> group = [s];
            if (s.Path == MemberPath.Direct && Pairs(s.Kind))
            {
                group.AddRange(selected.Where(o => o.ThroughSecondMember && o.Kind == s.Kind && o.InFlight == s.InFlight && o.PayloadBytes == s.PayloadBytes));
            }

            group.ForEach(g => placed.Add(g.Id));
            groups.Add(group);
        }

        return groups;
    }

    private static IReadOnlyList<string> Roles(IBenchSystem system) => [.. system.Processes.Select(p => p.Role)];

    /// <summary>What one scenario has gathered so far.</summary>
    private sealed class Gathered
    {
        public List<Measurement> Reps { get; } = [];

        public List<double[]> Cpu { get; } = [];

        public List<double> Walls { get; } = [];

        public string? Error { get; set; }
    }

    /// <summary>
    /// Prepares each scenario of <paramref name="group"/> (in order), then runs their repetitions
    /// alternately: repetition 1 of each, then repetition 2 of each, ... A scenario that fails stops
    /// there (its error kept); the others go on.
    /// </summary>
    private static async Task<IReadOnlyList<(string Id, ScenarioResult Result)>> RunGroupAsync(IBenchSystem system, IReadOnlyList<Scenario> group, LoadSettings settings, CancellationToken cancellationToken)
    {
        var gathered = group.Select(_ => new Gathered()).ToArray();
        for (int i = 0; i < group.Count; i++)
        {
            // A scenario through the second member starts it (once) here, outside the measurement.
            await GuardAsync(system, group[i], gathered[i], async () =>
            {
                using var prepare = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                prepare.CancelAfter(TimeSpan.FromSeconds(120));
                await system.PrepareAsync(group[i], settings, prepare.Token).WaitAsync(prepare.Token);
            }, cancellationToken);
        }

        // Idle connections: one round with no warm-up (memory a previous round freed is not
        // given back to the system, so later rounds would measure the history). The stalled
        // stream: one round too, for the same reason, after its small warm-up.
        static bool Once(Scenario s) => s.Kind is ScenarioKind.IdleConnections or ScenarioKind.StalledStream;
        int rounds = group.Max(s => Once(s) ? 1 : settings.Repetitions);
        for (int rep = 0; rep < rounds; rep++)
        {
            for (int i = 0; i < group.Count; i++)
            {
                var scenario = group[i];
                var into = gathered[i];
                if (into.Error is null && rep < (Once(scenario) ? 1 : settings.Repetitions))
                {
                    await GuardAsync(system, scenario, into, () => RunRepetitionAsync(system, scenario, settings, rep, into, cancellationToken), cancellationToken);
                }
            }
        }

        var results = new List<(string, ScenarioResult)>();
        for (int i = 0; i < group.Count; i++)
        {
            var into = gathered[i];
            if (into.Error is not null)
            {
                results.Add((group[i].Id, new ScenarioResult(into.Reps, [], into.Error)));
                continue;
            }

            var roles = system.ProcessesFor(group[i]).Select(p => p.Role).ToArray();
            var figures = roles.Select((role, r) =>
            {
                double seconds = Stats.Median(into.Cpu.Select(c => c[r]));
                double percent = Stats.Median(into.Cpu.Select((c, k) => c[r] / into.Walls[k] * 100));
                return new CpuFigure(role, seconds, percent);
            }).ToArray();
            results.Add((group[i].Id, new ScenarioResult(into.Reps, figures, null)));
        }

        return results;
    }

    /// <summary>Runs <paramref name="step"/>; a failure (other than the run being cancelled) becomes the scenario's error.</summary>
    private static async Task GuardAsync(IBenchSystem system, Scenario scenario, Gathered into, Func<Task> step, CancellationToken cancellationToken)
    {
        try
        {
            await step();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Progress($"{system.Title} {scenario.Id}: error: {ex.GetType().Name}: {ex.Message}");
            into.Error = ex.GetType().Name + ": " + ex.Message;
        }
    }

    /// <summary>One repetition: a warm-up run (except idle connections), a CPU snapshot of every process, the measured run, a second snapshot.</summary>
    private static async Task RunRepetitionAsync(IBenchSystem system, Scenario scenario, LoadSettings settings, int rep, Gathered into, CancellationToken cancellationToken)
    {
        var limit = settings.Warmup + (settings.Duration * 3) + TimeSpan.FromSeconds(scenario.Kind == ScenarioKind.Stream ? 180 : 60);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        if (scenario.Kind != ScenarioKind.IdleConnections)
        {
            await system.RunAsync(scenario, settings, warmup: true, timeout.Token).WaitAsync(timeout.Token);
        }

        var processes = system.ProcessesFor(scenario);
        var before = processes.Select(Cpu).ToArray();
        long start = Stopwatch.GetTimestamp();
        var m = await system.RunAsync(scenario, settings, warmup: false, timeout.Token).WaitAsync(timeout.Token);
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var after = processes.Select(Cpu).ToArray();
        into.Cpu.Add([.. processes.Select((p, i) => p.Pid is null ? m.ClientCpuSeconds ?? double.NaN : after[i] - before[i])]);
        into.Walls.Add(wall);
        into.Reps.Add(m);
        Progress($"{system.Title} {scenario.Id} rep {rep + 1}: {Describe(m)}");
    }

    private static double Cpu(MeasuredProcess process) =>
        process.Pid is { } pid && ProcStat.Read(pid, process.IncludeChildren) is { } sample ? sample.Seconds : double.NaN;

    private static string Describe(Measurement m) => m.BaselineMemoryMb is { } resting
        ? string.Create(CultureInfo.InvariantCulture, $"stalled after {m.Bytes} bytes: forwarding gateway RSS {resting:0.0} MiB at rest, at most {m.ServerMemoryMb:0.0} MiB while stalled (+{m.ServerMemoryGrowthMb:0.00} MiB); bytes it read from A and had not passed on: {(m.HeldBytes is { } h ? h.ToString("N0", CultureInfo.InvariantCulture) : "n/a")}")
        : m.ServerMemoryMb is { } rss
        ? string.Create(CultureInfo.InvariantCulture, $"{m.Operations} idle connections in {m.Elapsed.TotalSeconds:0.0} s, server RSS {rss:0.0} MiB, {m.ServerMemoryPerConnectionKb:0.0} KiB per connection")
        : m.ConnectLatenciesUs is { Length: > 0 }
        ? string.Create(CultureInfo.InvariantCulture, $"{m.Operations} new clients, first call p50 {m.Percentile(0.5):0.0} µs, p99 {m.Percentile(0.99):0.0} µs; connecting p50 {m.ConnectPercentile(0.5):0.0} µs")
        : m.LatenciesUs is { Length: > 0 }
        ? string.Create(CultureInfo.InvariantCulture, $"{m.Operations} calls, p50 {m.Percentile(0.5):0.0} µs, p99 {m.Percentile(0.99):0.0} µs")
        : string.Create(CultureInfo.InvariantCulture, $"{m.Operations} ops in {m.Elapsed.TotalSeconds:0.00} s = {m.OpsPerSecond:0} /s, {m.MegabytesPerSecond:0.0} MB/s");

    /// <summary>Progress goes to stderr; stdout holds only the table.</summary>
    public static void Progress(string line) => Console.Error.WriteLine($"[bench] {line}");

    private static Dictionary<string, string> Machine()
    {
        string cpuModel = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        return new Dictionary<string, string>
        {
            ["os"] = RuntimeInformation.OSDescription,
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["cores"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["cpu"] = cpuModel,
        };
    }
}
