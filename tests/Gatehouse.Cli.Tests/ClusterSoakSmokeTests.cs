using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// Runs the real-process membership soak (<c>bench/Gatehouse.Cluster.Soak</c>) in <c>--smoke</c>
/// mode as a separate process: 10 gateway processes, each in its own network namespace. Checks
/// the table and the JSON, the functional results a correct cluster always gives (every kill seen
/// by every other member, everyone alive again after the restart of all, no gateway crashed), and
/// that nothing is left behind. Timings are printed by the soak, not asserted here. Needs root,
/// iproute2 and iptables; without them the test fails with a message saying so (never skipped).
/// Runs alone (its own collection, not in parallel with other tests): ten gateways fill this
/// machine's two cores.
/// </summary>
[Collection(ClusterSoakCollection.Name)]
public sealed class ClusterSoakSmokeTests
{
    private static readonly string[] RowIds =
    [
        "idle_udp_bps", "idle_tcp_bps", "idle_total_bps",
        "route_p50_s", "route_p99_s", "route_missed",
        "crash_p50_s", "crash_p99_s", "crash_max_s", "crash_missed", "crash_rejoin_max_s",
        "loss_false_deaths", "loss_suspicions", "loss_refutations", "loss_measured_pct",
        "stall_false_deaths", "stall_victim_deaths",
        "restart_all_s", "gateway_crashes",
    ];

    private static readonly string[] RowTitles =
    [
        "idle traffic per member, UDP + TCP (max)", "route change seen by every other member, p99",
        "crash seen dead by each other member, p99", "false deaths under random UDP loss",
        "deaths of healthy members while one stalls 2 s of 10 s",
        "all members killed and restarted at once: all alive everywhere (worst)",
    ];

    [Fact]
    public async Task Smoke_soak_of_ten_namespaced_gateways_prints_every_figure_detects_every_kill_recovers_from_a_full_restart_and_leaves_nothing_behind()
    {
        RequireRootAndTools();
        string dll = typeof(ClusterSoakSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SoakDll").Value!;
        Assert.True(File.Exists(dll), $"the soak is not built at {dll}");
        string json = Path.Combine(Path.GetTempPath(), $"gatehouse-soak-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, stdout, stderr) = await Gatehouse.Bench.Processes.DotnetExec.RunAsync(
                dll, ["--smoke", "--json", json, "--gatehouse", CliProcess.CliDll], TimeSpan.FromMinutes(8));
            Assert.True(exit == 0, $"exit {exit}\nstdout:\n{stdout}\nstderr:\n{stderr}");

            // The table: every figure's row, each with a number.
            var rows = stdout.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();
            foreach (string title in RowTitles)
            {
                string? row = rows.FirstOrDefault(l => l.StartsWith($"| {title} | ", StringComparison.Ordinal));
                Assert.True(row is not null, $"no row '{title}' in:\n{stdout}");
                Assert.Matches(@"^\| [^|]+ \| \d+(\.\d+)? ", row);
            }

            Assert.Contains("cleanup: complete", stdout, StringComparison.Ordinal);

            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            var root = doc.RootElement;
            Assert.Equal("smoke", root.GetProperty("mode").GetString());
            Assert.Equal(10, root.GetProperty("gateways").GetInt32());
            Assert.True(root.GetProperty("completed").GetBoolean(), root.GetProperty("failure").ToString());
            var figures = root.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
            Assert.Equal(RowIds, figures.Keys);
            foreach (var (id, row) in figures)
            {
                Assert.True(row.GetProperty("value").ValueKind == JsonValueKind.Number, $"{id} has no value: {row}");
                Assert.False(string.IsNullOrEmpty(row.GetProperty("unit").GetString()));
            }

            // What a correct cluster always does, however loaded the machine: every kill is seen
            // by every other member, all ten are alive everywhere after the restart of all, no
            // gateway dies by itself, and the loss rule really dropped datagrams.
            Assert.Equal(0, figures["crash_missed"].GetProperty("value").GetDouble());
            var kills = root.GetProperty("details").GetProperty("crash").GetProperty("kills").EnumerateArray().ToList();
            Assert.Equal(2, kills.Count);
            Assert.All(kills, k => Assert.Equal(9, k.GetProperty("seenDeadBy").GetInt32()));
            Assert.Equal(0, root.GetProperty("details").GetProperty("restartAll").GetProperty("failed").GetInt32());
            Assert.Equal(0, figures["gateway_crashes"].GetProperty("value").GetDouble());
            Assert.Equal(0, figures["route_missed"].GetProperty("value").GetDouble());
            Assert.True(figures["loss_measured_pct"].GetProperty("value").GetDouble() > 0, "the loss rule dropped nothing");
            Assert.True(figures["idle_udp_bps"].GetProperty("value").GetDouble() > 0, "no UDP was counted while idle");

            // Nothing left: none of this run's namespaces, no gateway process it started.
            string prefix = root.GetProperty("namespacePrefix").GetString()!;
            Assert.StartsWith("gh-soak-", prefix, StringComparison.Ordinal);
            Assert.DoesNotContain(Run("ip", "netns", "list").Split('\n'), l => l.StartsWith(prefix, StringComparison.Ordinal));
            Assert.DoesNotContain(Run("ip", "-o", "link", "show").Split('\n'), l => l.Contains("ghs" + root.GetProperty("tag").GetString(), StringComparison.Ordinal));
            var pids = root.GetProperty("gatewayPids").EnumerateArray().Select(p => p.GetInt32()).ToList();
            Assert.True(pids.Count >= 20, $"expected at least 20 gateway starts, got {pids.Count}");
            Assert.DoesNotContain(pids, pid => IsRunning(pid));
        }
        finally
        {
            File.Delete(json);
        }
    }

    private static void RequireRootAndTools()
    {
        Assert.True(Environment.UserName == "root" || Run("id", "-u").Trim() == "0",
            "the cluster soak needs root (network namespaces, a bridge, iptables); run the tests as root");
        foreach (var (tool, package) in new[] { ("ip", "iproute2"), ("iptables", "iptables") })
        {
            bool found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Append("/usr/sbin").Append("/sbin").Any(d => File.Exists(Path.Combine(d, tool)));
            Assert.True(found, $"'{tool}' is not installed: the cluster soak needs it (package {package}); install it, this test is not skipped");
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), $"{file} did not finish");
        return output;
    }
}

/// <summary>The soak's collection: run after the parallel tests, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterSoakCollection
{
    public const string Name = "cluster soak (alone)";
}
