using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Gatehouse.Membership.Tests.Simulation;

/// <summary>Runs bench/Gatehouse.Cluster.Bench in <c>--smoke</c> mode as a process and checks every figure is printed and sane.</summary>
public class BenchSmokeTests
{
    [Fact]
    public async Task Smoke_run_prints_every_figure_within_sane_bounds()
    {
        string dll = typeof(BenchSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ClusterBenchDll").Value!;
        Assert.True(File.Exists(dll), $"bench not built at {dll}");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--smoke");
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        string output = await stdout;
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}\n{output}\n{await stderr}");

        Dictionary<string, string[]> rows = output.Split('\n')
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| figure", StringComparison.Ordinal))
            .Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray())
            .ToDictionary(c => c[0], c => c[2..]);

        double[] Values(string prefix) => rows.Single(r => r.Key.StartsWith(prefix, StringComparison.Ordinal)).Value.Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();

        Assert.All(Values("crash seen dead by every member, p99"), v => Assert.InRange(v, 1, 20));
        Assert.All(Values("crash seen dead by every member, p50"), v => Assert.InRange(v, 1, 20));
        Assert.All(Values("false deaths, 10 % loss"), v => Assert.Equal(0, v));
        Assert.All(Values("false deaths, one member stalled"), v => Assert.Equal(0, v));
        Assert.All(Values("idle traffic per member"), v => Assert.InRange(v, 20, 1000));
        Assert.All(Values("idle datagrams per member"), v => Assert.InRange(v, 0.5, 6));
        Assert.All(Values("metadata change seen by 99%"), v => Assert.InRange(v, 0.01, 3));
        Assert.All(Values("all alive after a mass restart"), v => Assert.InRange(v, 0.5, 60));
        Assert.All(Values("push-pulls in progress at once"), v => Assert.InRange(v, 1, 128));
        Assert.Equal(2, Values("real time").Length);
    }
}
