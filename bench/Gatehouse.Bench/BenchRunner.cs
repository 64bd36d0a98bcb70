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
/// measured run, a second snapshot. Prints the table and writes the JSON.
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
            results.Add(await RunSystemAsync(system, environment, settings, options.Scenarios, cancellationToken));
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
            await File.WriteAllTextAsync(path, JsonReport.Write(options.Smoke ? "smoke" : "full", settings, results, table, forwarding, Machine()), cancellationToken);
            Progress($"wrote {path}");
        }

        var gh = results[0];
        return gh.Unavailable is null && gh.Scenarios.Values.All(r => r.Error is null) ? 0 : 1;
    }

    private static IBenchSystem Create(string id) => id switch
    {
        "gatehouse" => new GatehouseSystem(),
        "nats" => new NatsSystem(),
        "grpc" => new GrpcSystem(),
        "remctld" => new RemctlSystem(),
        _ => throw new ArgumentException($"unknown system {id}"),
    };

    private static async Task<SystemResult> RunSystemAsync(IBenchSystem system, BenchEnvironment environment, LoadSettings settings, IReadOnlyList<string>? only, CancellationToken cancellationToken)
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

        var scenarios = new Dictionary<string, ScenarioResult>();
        foreach (var scenario in Scenario.All.Where(s => system.Supports(s) && (only is null || only.Contains(s.Id))))
        {
            scenarios[scenario.Id] = await RunScenarioAsync(system, scenario, settings, cancellationToken);
        }

        return new SystemResult(system.Id, system.Title, Roles(system), null, scenarios);
    }

    private static IReadOnlyList<string> Roles(IBenchSystem system) => [.. system.Processes.Select(p => p.Role)];

    private static async Task<ScenarioResult> RunScenarioAsync(IBenchSystem system, Scenario scenario, LoadSettings settings, CancellationToken cancellationToken)
    {
        var reps = new List<Measurement>();
        var cpu = new List<double[]>();
        var walls = new List<double>();
        var limit = settings.Warmup + (settings.Duration * 3) + TimeSpan.FromSeconds(scenario.Kind == ScenarioKind.Stream ? 180 : 60);
        try
        {
            // A forwarded scenario's second member is started (once) here, outside the measurement.
            using (var prepare = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                prepare.CancelAfter(TimeSpan.FromSeconds(120));
                await system.PrepareAsync(scenario, settings, prepare.Token).WaitAsync(prepare.Token);
            }

            // Idle connections: one round with no warm-up (memory a previous round freed is not
            // given back to the system, so later rounds would measure the history). The stalled
            // stream: one round too, for the same reason, after its small warm-up.
            bool once = scenario.Kind is ScenarioKind.IdleConnections or ScenarioKind.StalledStream;
            bool warm = scenario.Kind != ScenarioKind.IdleConnections;
            for (int rep = 0; rep < (once ? 1 : settings.Repetitions); rep++)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(limit);
                if (warm)
                {
                    await system.RunAsync(scenario, settings, warmup: true, timeout.Token).WaitAsync(timeout.Token);
                }

                var processes = system.ProcessesFor(scenario);
                var before = processes.Select(Cpu).ToArray();
                long start = Stopwatch.GetTimestamp();
                var m = await system.RunAsync(scenario, settings, warmup: false, timeout.Token).WaitAsync(timeout.Token);
                double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
                var after = processes.Select(Cpu).ToArray();
                cpu.Add([.. processes.Select((p, i) => p.Pid is null ? m.ClientCpuSeconds ?? double.NaN : after[i] - before[i])]);
                walls.Add(wall);
                reps.Add(m);
                Progress($"{system.Title} {scenario.Id} rep {rep + 1}: {Describe(m)}");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Progress($"{system.Title} {scenario.Id}: error: {ex.GetType().Name}: {ex.Message}");
            return new ScenarioResult(reps, [], ex.GetType().Name + ": " + ex.Message);
        }

        var roles = system.ProcessesFor(scenario).Select(p => p.Role).ToArray();
        var figures = roles.Select((role, i) =>
        {
            double seconds = Stats.Median(cpu.Select(c => c[i]));
            double percent = Stats.Median(cpu.Select((c, r) => c[i] / walls[r] * 100));
            return new CpuFigure(role, seconds, percent);
        }).ToArray();
        return new ScenarioResult(reps, figures, null);
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
