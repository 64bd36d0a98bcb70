using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Gatehouse.Registry.Tests;

/// <summary>Runs bench/Gatehouse.Registry.Bench in <c>--smoke</c> mode (20 gateways, a real etcd cluster) as a process.</summary>
public sealed partial class RegistryBenchSmokeTests
{
    [Fact]
    public async Task The_smoke_run_sees_every_change_on_every_gateway_and_prints_each_distribution()
    {
        string dll = typeof(RegistryBenchSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RegistryBenchDll").Value!;
        Assert.True(File.Exists(dll), $"bench not built at {dll}");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--smoke");
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(timeout.Token);
        string output = await stdout;
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}\n{output}\n{await stderr}");

        var distributions = Distribution().Matches(output);
        Assert.Equal(3, distributions.Count); // each other gateway, every other gateway, the burst
        Assert.Equal([190, 10, 380], distributions.Select(m => int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture)));
        Assert.All(distributions, m => Assert.InRange(double.Parse(m.Groups["max"].Value, CultureInfo.InvariantCulture), 0.1, 30_000));
        Assert.Equal(2, Regex.Count(output, @"missed \(not seen within \d+ s\): +0\n"));
    }

    [GeneratedRegex(@"p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max (?<max>[\d.]+) ms \((?<n>\d+) samples\)")]
    private static partial Regex Distribution();
}
