using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// Issue 16: a real Prometheus server (Debian's <c>prometheus</c>) scrapes a gateway process's
/// diagnostics listener, and its HTTP API returns the request counter after calls were made;
/// <c>promtool check metrics</c> accepts the exposition. The gateway's audit file has a record of
/// each call.
/// </summary>
public class PrometheusScrapeTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task Prometheus_scrapes_the_request_counter_and_promtool_accepts_the_exposition()
    {
        Assert.True(File.Exists("/usr/bin/prometheus") && File.Exists("/usr/bin/promtool"), "Debian's prometheus package is needed (test.sh installs it)");
        using var cli = new CliProcess();
        int port = CliProcess.FreePort(), diagnostics = CliProcess.FreePort(), web = CliProcess.FreePort();
        string host = $"127.0.0.1:{port}";
        string conf = Path.Combine(cli.Root, "remctl.conf");
        string audit = Path.Combine(cli.Root, "audit.jsonl");
        File.WriteAllText(conf, "hello say /bin/echo ANYUSER\n");
        var psi = cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", host, "--commands", conf]);
        psi.Environment["GATEHOUSE__DiagnosticsListen"] = $"127.0.0.1:{diagnostics}";
        psi.Environment["GATEHOUSE__Audit__Destination"] = "file";
        psi.Environment["GATEHOUSE__Audit__Path"] = audit;
        // The banner's diagnostics line comes after its listening line: wait for it.
        var (gateway, output) = await cli.StartAsync(psi, l => l.StartsWith("diagnostics", StringComparison.Ordinal));
        Assert.Contains($"diagnostics  http://127.0.0.1:{diagnostics}/metrics", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, (await cli.RunAsync("authorize", "--self", "--name", "tester")).Exit);
        Assert.Equal(0, (await cli.RunAsync("trust", host, "--yes")).Exit);
        await Task.Delay(1200); // the gateway re-reads authorized_peers once a second
        for (int i = 0; i < 3; i++)
        {
            var call = await cli.RunAsync("call", host, "hello", "say", "n" + i.ToString(CultureInfo.InvariantCulture));
            Assert.True(call.Exit == 0, call.Stderr);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string exposition = await http.GetStringAsync($"http://127.0.0.1:{diagnostics}/metrics");
        var promtool = await RunAsync("/usr/bin/promtool", ["check", "metrics"], exposition);
        Assert.True(promtool.Exit == 0, $"promtool check metrics: {promtool.Output}");

        string data = Path.Combine(cli.Root, "prometheus-data");
        string config = Path.Combine(cli.Root, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: gatehouse
                static_configs:
                  - targets: ['127.0.0.1:{diagnostics}']
            """);
        var (prometheus, promOutput) = await cli.StartAsync(
            cli.StartInfo("/usr/bin/prometheus", [$"--config.file={config}", $"--storage.tsdb.path={data}", $"--web.listen-address=127.0.0.1:{web}"]),
            l => l.Contains("Server is ready to receive web requests", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60));
        try
        {
            string query = Uri.EscapeDataString("gatehouse_requests_total{command=\"hello\",outcome=\"ok\"}");
            double value = 0;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (value < 3 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
                using var doc = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{web}/api/v1/query?query={query}"));
                var result = doc.RootElement.GetProperty("data").GetProperty("result");
                if (result.GetArrayLength() == 1)
                {
                    value = double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                    Assert.Equal("gatehouse", result[0].GetProperty("metric").GetProperty("job").GetString());
                }
            }

            Assert.True(value == 3, $"Prometheus has gatehouse_requests_total = {value}, not 3\n{promOutput}");
        }
        finally
        {
            CliProcess.Stop(prometheus);
        }

        CliProcess.Stop(gateway);
        Assert.Equal(0, gateway.ExitCode);
        string[] records = File.ReadAllLines(audit);
        Assert.Equal(3, records.Count(r => r.Contains("\"command\":\"hello say n", StringComparison.Ordinal)));
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string[] args, string stdin)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (p.ExitCode, await stdout + await stderr);
    }
}
