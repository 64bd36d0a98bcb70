using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Xunit.Abstractions;

namespace Gatehouse.Chaos.Tests;

/// <summary>
/// The short soak of CI: the chaos driver as a separate process, for 35 s, against a real
/// <c>gatehouse gateway</c> and three service processes, with services SIGKILLed about every
/// 1.5 s and the gateway restarted about every 12 s. Reads its JSON summary and checks the
/// promises: every call ended exactly once, nothing that is not idempotent ran twice, calls
/// succeeded, the cluster works again after the chaos, and nothing leaked.
/// </summary>
public class ChaosSoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Under_kills_and_gateway_restarts_every_call_ends_once_and_nothing_runs_twice_or_leaks()
    {
        string dll = typeof(ChaosSoakTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ChaosDll").Value!;
        Assert.True(File.Exists(dll), $"chaos driver not built at {dll}");
        string json = Path.Combine(Path.GetTempPath(), $"gatehouse-chaos-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, stdout, stderr) = await RunAsync(dll,
                ["--duration", "35", "--services", "3", "--concurrency", "64", "--kill-interval", "1.5", "--gateway-restart-interval", "12",
                 "--exec-share", "0.02", "--seed", "12", "--json", json], TimeSpan.FromSeconds(300));
            output.WriteLine(stdout);
            output.WriteLine(stderr);
            Assert.True(exit == 0, $"exit {exit}\nstdout:\n{stdout}\nstderr:\n{stderr}");

            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            var r = doc.RootElement;
            long Get(string name) => r.GetProperty(name).GetInt64();

            // The chaos happened.
            Assert.True(Get("serviceKills") >= 2, $"only {Get("serviceKills")} service kills");
            Assert.True(Get("gatewayKills") + Get("gatewayTerms") >= 1, "no gateway restart");

            // Every call ended exactly once, and the ones that succeeded were real.
            Assert.Equal(Get("requests"), Get("ended"));
            Assert.Equal(0, Get("lost"));
            Assert.Equal(0, Get("endedTwice"));
            Assert.Equal(0, Get("duplicated"));
            Assert.Equal(0, Get("okNotExecuted"));
            Assert.Equal(0, Get("wrongOutput"));
            Assert.True(Get("ok") >= 2_000, $"only {Get("ok")} calls succeeded");
            Assert.True(Get("executions") >= Get("ok"));
            var statuses = r.GetProperty("statuses").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
            Assert.Equal(Get("ended"), statuses.Values.Sum());

            // After the chaos the cluster serves every call again.
            Assert.True(Get("recoveryRequests") > 100, $"only {Get("recoveryRequests")} calls after the chaos");
            Assert.Equal(0, Get("recoveryFailures"));

            // Nothing leaked or crashed.
            Assert.InRange(Get("gatewayFdsAfter") - Get("gatewayFdsBefore"), long.MinValue, Get("fdTolerance"));
            Assert.InRange(Get("driverFdsAfter") - Get("driverFdsBefore"), long.MinValue, Get("fdTolerance"));
            Assert.Equal(0, Get("gatewayChildrenAfter"));
            Assert.Equal(0, Get("zombies"));
            Assert.Equal(0, r.GetProperty("crashes").GetArrayLength());
            Assert.Empty(r.GetProperty("problems").EnumerateArray());
            Assert.Contains("PASS", stdout);
        }
        finally
        {
            File.Delete(json);
        }
    }

    private static Task<(int Exit, string Stdout, string Stderr)> RunAsync(string dll, string[] args, TimeSpan timeout) =>
        Gatehouse.Bench.Processes.DotnetExec.RunAsync(dll, args, timeout);
}
