using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// <c>gatehouse remctl -w</c> (issue 15 item 6) end to end: a throwaway Kerberos realm, three real
/// gateway processes joined in a cluster, two of them with a remctl listener (Kerberos, the realm's
/// host keytab) and a remctl.conf command; the user's ticket from the realm. <c>-w @cluster --via</c>
/// calls each member's host on the remctl port it gossips and skips the one without a listener.
/// </summary>
[Collection(KerberosCollection.Name)]
public sealed class RemctlFanoutCliTests(KerberosRealm realm) : IDisposable
{
    private readonly CliProcess[] _gateways = [new(), new(), new()];
    private readonly CliProcess _user = new();
    private readonly int[] _ports = [CliProcess.FreePort(), CliProcess.FreePort(), CliProcess.FreePort()];
    private readonly int[] _remctl = [CliProcess.FreePort(), CliProcess.FreePort()];
    private readonly string[] _fingerprints = new string[3];

    public void Dispose()
    {
        foreach (var g in _gateways)
        {
            g.Dispose();
        }

        _user.Dispose();
    }

    private string Host(int i) => $"127.0.0.1:{_ports[i]}";

    private ProcessStartInfo WithRealm(ProcessStartInfo psi)
    {
        foreach (var (k, v) in realm.Environment)
        {
            psi.Environment[k] = v;
        }

        return psi;
    }

    /// <summary>Gateway i; the first two serve remctl, with a command that says who called and which gateway ran it.</summary>
    private async Task StartGatewayAsync(int i)
    {
        var g = _gateways[i];
        string script = Path.Combine(g.Root, "who.sh");
        File.WriteAllText(script, $"#!/bin/sh\necho \"$REMOTE_USER\"\necho gw{i} >&2\n[ \"$1\" = fail ] && exit 3\nexit 0\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string conf = Path.Combine(g.Root, "remctl.conf");
        File.WriteAllText(conf, $"test ALL {script} ANYUSER\n");
        var args = new List<string> { CliProcess.CliDll, "gateway", "--listen", Host(i), "--commands", conf };
        if (i < 2)
        {
            args.AddRange(["--remctl-listen", $"127.0.0.1:{_remctl[i]}", "--keytab", realm.HostKeytab]);
        }

        if (i > 0)
        {
            args.AddRange(["--join", $"{Host(0)}={_fingerprints[0]}"]);
        }

        var (_, output) = await g.StartAsync(WithRealm(g.StartInfo("dotnet", args)), l => l.StartsWith("member", StringComparison.Ordinal));
        lock (output)
        {
            _fingerprints[i] = output.ToString().Split('\n').First(l => l.StartsWith("fingerprint", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        }
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RemctlAsync(params string[] args)
    {
        using var p = Process.Start(WithRealm(_user.StartInfo("dotnet", [CliProcess.CliDll, "remctl", .. args])))!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Remctl_w_cluster_calls_every_live_member_on_its_gossiped_remctl_port_and_skips_the_one_without()
    {
        for (int i = 0; i < 3; i++)
        {
            await StartGatewayAsync(i);
        }

        for (int i = 1; i < 3; i++)
        {
            Assert.Equal(0, (await _gateways[0].RunAsync("authorize", _fingerprints[i], "--name", "gw" + i, "--role", "gateway")).Exit);
        }

        var (_, id, _) = await _user.RunAsync("id");
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", id.Trim(), "--name", "ops", "--role", "admin")).Exit);
        Assert.Equal(0, (await _user.RunAsync("trust", Host(0), "--fingerprint", _fingerprints[0])).Exit);

        // Until gateway 0 sees all three alive, with the remctl ports of the first two.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var members = await _user.RunAsync("call", Host(0), "--domain", "gatehouse", "members", "--json");
            if (members.Exit == 0)
            {
                using var doc = JsonDocument.Parse(members.Stdout);
                var rows = doc.RootElement.EnumerateArray().ToList();
                if (rows.Count == 3 && rows.All(r => r.GetProperty("state").GetString() == "alive")
                    && rows.Count(r => r.TryGetProperty("remctlPort", out var p) && p.ValueKind == JsonValueKind.Number) == 2)
                {
                    break;
                }
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the three gateways never saw each other alive with their remctl ports");
            await Task.Delay(500);
        }

        string principal = "host/localhost@" + KerberosRealm.Realm;
        string remctlNodes = Gatehouse.NodeSets.NodeSet.FromNodes(_remctl.Select(p => $"127.0.0.1:{p}")).Fold();
        var run = await RemctlAsync("-w", "@cluster", "--via", Host(0), "-s", principal, "-b", "test", "who");
        Assert.True(run.Exit == 0, $"exit {run.Exit}: {run.Stderr}");
        Assert.Equal($"---------------\n{remctlNodes} (2)\n---------------\n{KerberosRealm.UserPrincipal}\n", run.Stdout);
        Assert.Contains($"127.0.0.1:{_remctl[0]}: gw0\n", run.Stderr, StringComparison.Ordinal); // stderr as it comes, with -b
        Assert.Contains($"127.0.0.1:{_remctl[1]}: gw1\n", run.Stderr, StringComparison.Ordinal);
        Assert.EndsWith($"gatehouse: {Host(2)}: skipped: no remctl listener\n", run.Stderr, StringComparison.Ordinal);

        // The same exit status rules and gathering as call -w.
        var failed = await RemctlAsync("-w", "@cluster", "--via", Host(0), "-s", principal, "-B", "test", "fail");
        Assert.Equal(1, failed.Exit);
        Assert.Contains($"gatehouse: {remctlNodes} (2): exited with exit code 3\n", failed.Stderr, StringComparison.Ordinal);
        Assert.Contains($"---------------\n127.0.0.1:{_remctl[0]}\n---------------\n{KerberosRealm.UserPrincipal}\ngw0\n", failed.Stdout, StringComparison.Ordinal);
        var max = await RemctlAsync("-S", "-w", "@cluster", "--via", Host(0), "-s", principal, "test", "fail");
        Assert.Equal(3, max.Exit);

        // A plain node list, with a node where nothing listens.
        int dead = CliProcess.FreePort();
        var list = await RemctlAsync("-w", $"127.0.0.1:{_remctl[0]},127.0.0.1:{dead}", "-s", principal, "--json", "test", "who");
        Assert.Equal(255, list.Exit);
        var byNode = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => e.GetProperty("node").GetString()!);
        Assert.Equal(KerberosRealm.UserPrincipal + "\n", byNode[$"127.0.0.1:{_remctl[0]}"].GetProperty("stdout").GetString());
        Assert.Equal("connection refused", byNode[$"127.0.0.1:{dead}"].GetProperty("error").GetString());
        Assert.Equal($"gatehouse: 127.0.0.1:{dead}: connection refused\n", list.Stderr);
    }
}
