using System.Globalization;
using System.Text.Json.Nodes;
using Gatehouse.Bench.Processes;
using Gatehouse.Cluster.Soak.Cluster;
using Gatehouse.Cluster.Soak.Network;
using Gatehouse.Cluster.Soak.Phases;
using Gatehouse.Cluster.Soak.Report;

namespace Gatehouse.Cluster.Soak;

/// <summary>
/// One soak: build the network, form the cluster, run the phases (idle traffic, route changes,
/// crashes, loss, stalls, restart of all), tear everything down (always: also on failure and
/// Ctrl-C), check nothing is left, then print the table and write the JSON.
/// </summary>
internal static class SoakRunner
{
    /// <summary>Exit code of a run that could not be set up (not root, tools missing, the cluster did not form).</summary>
    public const int SetupFailed = 3;

    public static async Task<int> RunAsync(SoakOptions options, CancellationToken cancel)
    {
        var wall = System.Diagnostics.Stopwatch.StartNew();
        void Say(string line) => Console.Error.WriteLine($"[{wall.Elapsed.TotalSeconds,7:0.0}s] {line}");

        SoakNetwork network;
        try
        {
            network = SoakNetwork.Create(options.Gateways, SoakCluster.Port);
        }
        catch (InvalidOperationException ex)
        {
            Console.Error.WriteLine("Gatehouse.Cluster.Soak: " + ex.Message);
            return SetupFailed;
        }

        SoakCluster cluster;
        try
        {
            cluster = SoakCluster.Create(options.Gateways, options.GatehouseDll, network, Say);
        }
        catch (FileNotFoundException ex)
        {
            network.Dispose();
            Console.Error.WriteLine("Gatehouse.Cluster.Soak: " + ex.Message);
            return SetupFailed;
        }

        // Ctrl-C, SIGTERM and any exception end here too: processes by PID, then the network.
        ProcessRegistry.AddCleanup(() => cluster.Cleanup(options.Keep));
        var report = new SoakReport();
        var x = new PhaseContext(cluster, options, report, Say, cancel);
        string? failure = null;
        await using (cluster)
        {
            try
            {
                Say($"network {network.Prefix}.0/24 on bridge {network.Bridge} (namespaces {SoakNetwork.NamespacePrefix}{network.Tag}-1..{options.Gateways}); directory {cluster.Directory}");
                try
                {
                    double formed = await cluster.FormAsync(TimeSpan.FromSeconds(120), cancel);
                    Say($"cluster formed: {options.Gateways} members alive on every member {formed:0.0} s after the first started");
                    report.Details["formSeconds"] = Math.Round(formed, 2);
                }
                catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
                {
                    Console.Error.WriteLine("Gatehouse.Cluster.Soak: the cluster did not form: " + ex.Message);
                    return SetupFailed;
                }

                await IdlePhase.RunAsync(x);
                if (options.RouteChanges > 0)
                {
                    await RoutePhase.RunAsync(x);
                }

                if (options.Kills > 0)
                {
                    await CrashPhase.RunAsync(x);
                }

                await LossPhase.RunAsync(x);
                await StallPhase.RunAsync(x);
                if (options.RestartAlls > 0)
                {
                    await RestartAllPhase.RunAsync(x);
                }

                x.Crashes.AddRange(await cluster.ReviveCrashedAsync(cancel));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                // Whatever stopped a phase: said in one line, and the figures so far are still reported.
                failure = ex is TimeoutException or InvalidOperationException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
                Say("the run stopped early: " + failure);
            }
            finally
            {
                cluster.Cleanup(options.Keep);
            }
        }

        report.Add(new Figure("gateway_crashes", "gateways that exited by themselves", x.Crashes.Count, "count", 0, "0"));
        var leftNamespaces = SoakNetwork.ExistingNamespaces(network.Tag);
        var leftPids = cluster.LivePids();
        Say($"cleanup: {cluster.Pids.Count} gateway processes started, {leftPids.Count} left; {leftNamespaces.Count} namespaces left");

        var header = new JsonObject
        {
            ["mode"] = options.Smoke ? "smoke" : "full",
            ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["os"] = Environment.OSVersion.ToString() },
            ["gateways"] = options.Gateways,
            ["loss"] = options.Loss,
            ["lossSeconds"] = options.LossDuration.TotalSeconds,
            ["stallSeconds"] = options.StallDuration.TotalSeconds,
            ["kills"] = options.Kills,
            ["routeChanges"] = options.RouteChanges,
            ["restartAlls"] = options.RestartAlls,
            ["elapsedSeconds"] = Math.Round(wall.Elapsed.TotalSeconds, 1),
            ["completed"] = failure is null,
            ["failure"] = failure,
            ["tag"] = network.Tag,
            ["namespacePrefix"] = $"{SoakNetwork.NamespacePrefix}{network.Tag}-",
            ["gatewayPids"] = new JsonArray([.. cluster.Pids.Select(p => (JsonNode)p)]),
            ["cleanup"] = new JsonObject
            {
                ["namespacesLeft"] = new JsonArray([.. leftNamespaces.Select(n => (JsonNode)n)]),
                ["processesLeft"] = new JsonArray([.. leftPids.Select(p => (JsonNode)p)]),
            },
            ["crashes"] = new JsonArray([.. x.Crashes.Select(c => (JsonNode)c)]),
        };

        Console.WriteLine($"Gatehouse cluster soak ({(options.Smoke ? "smoke" : "full")}): {options.Gateways} gateway processes, one network namespace each; {Environment.ProcessorCount} cores; {wall.Elapsed.TotalMinutes:0.0} min");
        Console.WriteLine();
        Console.Write(report.Table());
        Console.WriteLine();
        int missed = report.Figures.Count(f => f.Pass == false);
        Console.WriteLine(failure is not null
            ? $"run stopped early: {failure}"
            : missed == 0 ? "all targets met" : $"{missed} target(s) MISSED: {string.Join(", ", report.Figures.Where(f => f.Pass == false).Select(f => f.Id))}");
        Console.WriteLine($"cleanup: {(leftNamespaces.Count == 0 && leftPids.Count == 0 ? "complete" : $"INCOMPLETE: namespaces {string.Join(' ', leftNamespaces)}, pids {string.Join(' ', leftPids)}")}");
        if (options.JsonPath is { } path)
        {
            await File.WriteAllTextAsync(path, report.Json(header), CancellationToken.None);
        }

        return failure is null && leftNamespaces.Count == 0 && leftPids.Count == 0 ? 0 : 1;
    }
}
