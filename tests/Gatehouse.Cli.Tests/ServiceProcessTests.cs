using System.Text;
using Gatehouse.Client;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Tests;

public class ServiceProcessTests
{
    [Fact]
    public async Task Three_service_processes_share_a_command_and_a_killed_one_fails_only_its_own_requests()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        var (gateway, gatewayFp) = await cli.StartGatewayAsync(port);
        using var me = PeerIdentity.LoadOrCreate(cli.ConfigDir, "tester", out _);
        Assert.Equal(0, (await cli.RunAsync("authorize", me.Fingerprint.ToString(), "--name", "tester", "--role", "admin")).Exit);

        var services = new Dictionary<string, System.Diagnostics.Process>();
        foreach (string name in new[] { "A", "B", "C" })
        {
            string dir = Path.Combine(cli.Root, "svc-" + name);
            using (var id = PeerIdentity.LoadOrCreate(dir, "svc", out _))
            {
                Assert.Equal(0, (await cli.RunAsync("authorize", id.Fingerprint.ToString(), "--name", "demo-" + name, "--role", "service", "--domain", "demo")).Exit);
            }
        }

        await Task.Delay(1200); // the gateway re-reads authorized_peers at most once a second
        foreach (string name in new[] { "A", "B", "C" })
        {
            var psi = cli.StartInfo("dotnet", [CliProcess.DemoDll, "--identity", Path.Combine(cli.Root, "svc-" + name), "--instance", name, "--gateway", $"127.0.0.1:{port}={gatewayFp}"]);
            services[name] = (await cli.StartAsync(psi, l => l.StartsWith("attached", StringComparison.Ordinal))).Process;
        }

        await using var client = new GatehouseClient(new Endpoint("127.0.0.1", port), new ClientOptions
        {
            Identity = me,
            Pins = ClientOptions.PinTo(Fingerprint.Parse(gatewayFp)),
            Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(5) },
        });

        // Spread: sequential calls rotate over the three (least outstanding, round-robin among ties).
        var counts = new Dictionary<string, int>();
        for (int i = 0; i < 30; i++)
        {
            var r = await client.CallAsync(new CallRequest("hostname") { Domain = "demo" });
            Assert.True(r.Succeeded, r.ToString());
            string instance = r.StdoutText.Split("instance=")[1].Split(' ')[0];
            counts[instance] = counts.GetValueOrDefault(instance) + 1;
        }

        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 5, 20));

        // Nine long requests: three land on each service.
        var calls = new List<(ActiveCall Call, IAsyncEnumerator<OutputChunk> Output, string Instance)>();
        for (int i = 0; i < 9; i++)
        {
            var call = await client.StartCallAsync(new CallRequest("sleep", "4") { Domain = "demo" });
            var output = call.ReadOutputAsync().GetAsyncEnumerator();
            Assert.True(await output.MoveNextAsync());
            string first = Encoding.UTF8.GetString(output.Current.Data.Span);
            calls.Add((call, output, first.Split("instance=")[1].Split(' ')[0]));
        }

        Assert.Equal(3, calls.Count(c => c.Instance == "C"));

        // Kill C mid-request (SIGKILL: no goodbye).
        services["C"].Kill();
        var results = await Task.WhenAll(calls.Select(async c =>
        {
            while (await c.Output.MoveNextAsync())
            {
                // drain the dots
            }

            await c.Output.DisposeAsync();
            return (c.Instance, Status: await c.Call.Completion);
        })).WaitAsync(TimeSpan.FromSeconds(30));

        foreach (var (instance, status) in results)
        {
            if (instance == "C")
            {
                Assert.Equal(ErrorCode.BackendFailed, status.ErrorCode);
            }
            else
            {
                Assert.Equal(CallStatus.Exit(0), status);
            }
        }

        // Later requests go to the survivors.
        for (int i = 0; i < 6; i++)
        {
            var r = await client.CallAsync(new CallRequest("hostname") { Domain = "demo" });
            Assert.True(r.Succeeded, r.ToString());
            Assert.DoesNotContain("instance=C", r.StdoutText, StringComparison.Ordinal);
        }

        foreach (var p in services.Values)
        {
            CliProcess.Stop(p);
        }

        CliProcess.Stop(gateway);
    }
}
