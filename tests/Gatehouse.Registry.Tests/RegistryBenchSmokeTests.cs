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

    [Fact]
    public async Task A_member_process_killed_with_sigkill_disappears_from_the_others_within_the_lease_ttl()
    {
        string dll = typeof(RegistryBenchSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RegistryBenchDll").Value!;
        await using var h = await RegistryHarness.StartAsync();
        var (observer, _) = await h.AddAsync("SHA256:observer");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])[dll, "--hold", string.Join(",", h.Etcd.ClientUrls), "SHA256:killed", "3"])
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        try
        {
            string? ready = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.StartsWith("READY ", ready ?? "", StringComparison.Ordinal);
            await RegistryHarness.Eventually(() => observer.View.Members.ContainsKey("SHA256:killed"), TimeSpan.FromSeconds(10), "the observer sees the member process");

            var clock = Stopwatch.StartNew();
            p.Kill(); // SIGKILL, this PID only: nothing revoked
            await p.WaitForExitAsync();
            await RegistryHarness.Eventually(() => !observer.View.Members.ContainsKey("SHA256:killed"), TimeSpan.FromSeconds(6), "the killed member is gone");
            Assert.True(clock.Elapsed <= TimeSpan.FromSeconds(4.5), $"gone {clock.Elapsed} after SIGKILL with a 3 s lease");
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill();
            }
        }
    }

    [GeneratedRegex(@"p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max (?<max>[\d.]+) ms \((?<n>\d+) samples\)")]
    private static partial Regex Distribution();
}
