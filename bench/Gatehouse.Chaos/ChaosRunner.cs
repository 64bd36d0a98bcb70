using System.Diagnostics;
using Gatehouse.Chaos.Cluster;
using Gatehouse.Chaos.Ledger;
using Gatehouse.Chaos.Load;
using Gatehouse.Chaos.Report;
using Gatehouse.Client;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Chaos;

/// <summary>
/// One soak: start the cluster; warm up and take the leak baseline at rest; run calls under chaos
/// for the duration (or request count); stop the chaos and run calls on the whole cluster for a
/// few seconds (they must all succeed); let every call end; take the leak snapshot at rest; audit
/// the execution logs; report.
/// </summary>
internal static class ChaosRunner
{
    private static readonly TimeSpan RecoveryLoad = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(ChaosOptions options, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        void Say(string line) => Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,7:0.0}s] {line}");

        Say($"seed {options.Seed}; {options.Services} services, {options.Concurrency} in flight, kill every ~{options.KillInterval.TotalSeconds:0.#} s, gateway restart every ~{options.GatewayRestartInterval.TotalSeconds:0.#} s");
        using var clientIdentity = PeerIdentity.CreateEphemeral("chaos-client");
        var cluster = ChaosCluster.Create(options.GatehouseDll, options.Services, clientIdentity, Say);
        var ledger = new CallLedger();
        CallPlan Plan(long id) => CallPlan.For(options.Seed, id, options.ExecShare);
        // The chaos stops with the run or on Ctrl-C, and always before the cluster is torn down.
        using var chaosStop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        Task chaos = Task.CompletedTask;
        try
        {
            await cluster.StartAsync();
            Say($"started: {cluster}, port {cluster.Port}, directory {cluster.Directory}");
            var client = new GatehouseClient(cluster.Endpoint, new ClientOptions
            {
                Identity = clientIdentity,
                Pins = ClientOptions.PinTo(cluster.Fingerprint),
                // Enough reconnection budget to ride out a gateway restart (a few seconds).
                Connection = ConnectionOptions.Default with
                {
                    ConnectTimeout = TimeSpan.FromSeconds(2),
                    MaxRetries = 8,
                    InitialBackoff = TimeSpan.FromMilliseconds(100),
                    MaxBackoff = TimeSpan.FromSeconds(1),
                },
            });
            await using var _ = client;
            var workers = new CallWorkers(client, ledger, options, Plan);
            workers.Start();

            // Warm-up, then the baseline at rest.
            workers.Resume();
            await Task.Delay(options.Warmup, cancel);
            workers.Pause();
            await DrainAsync(ledger, options.LostAfter, Say);
            await Task.Delay(Settle, cancel);
            var baseline = LeakSnapshot.Take(cluster.GatewayPid);
            long warmupCalls = ledger.Started;
            Say($"baseline after {warmupCalls} warm-up calls ({ledger.Ok} ok): gateway fds {baseline.GatewayFds}, children {baseline.GatewayChildren}; driver fds {baseline.DriverFds}");

            // Chaos.
            var monkey = new ChaosMonkey(cluster, options, Say);
            chaos = monkey.RunAsync(chaosStop.Token);
            var chaosClock = Stopwatch.StartNew();
            long chaosFirst = ledger.Started;
            workers.Resume();
            long lastStarted = ledger.Started;
            long lastFailed = 0;
            var lastTime = chaosClock.Elapsed;
            while (chaosClock.Elapsed < options.Duration && !(options.Requests is { } max && ledger.Started >= max) && !chaos.IsCompleted)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancel);
                foreach (var (id, age) in ledger.NewlyOverdue(options.LostAfter))
                {
                    Say($"OVERDUE: call {id} ({Plan(id)}) in flight for {age.TotalSeconds:0} s");
                }

                foreach (string first in ledger.TakeFirsts())
                {
                    Say(first);
                }

                if (chaosClock.Elapsed - lastTime >= options.ProgressInterval)
                {
                    var now = chaosClock.Elapsed;
                    double rate = (ledger.Started - lastStarted) / (now - lastTime).TotalSeconds;
                    long failed = ledger.Ended - ledger.Ok;
                    Say($"{ledger.Started - chaosFirst} calls under chaos ({rate:0}/s), ok {ledger.Ok}, in flight {ledger.InFlight}, " +
                        $"service kills {monkey.ServiceKills}, gateway restarts {monkey.GatewayKills + monkey.GatewayTerms}; " +
                        string.Join(", ", ledger.Kinds().Where(k => k.Key != "ok").Select(k => $"{k.Key} {k.Value}")));
                    if (failed - lastFailed > (ledger.Started - lastStarted) / 10)
                    {
                        // More than one call in ten failed in this interval: show what the gateway thinks.
                        Say("gateway services:\n" + await GatewayServicesAsync(client));
                    }

                    lastStarted = ledger.Started;
                    lastFailed = failed;
                    lastTime = now;
                }
            }

            var chaosTime = chaosClock.Elapsed;
            long chaosCalls = ledger.Started - chaosFirst;
            chaosStop.Cancel();
            await chaos;
            Say($"chaos stopped after {chaosTime.TotalSeconds:0} s and {chaosCalls} calls; {cluster}");

            // Recovery: the whole cluster again; every call started from here on must succeed
            // (also when --requests was reached: these calls come on top).
            workers.Limit = null;
            long recoveryFirst = ledger.Started;
            await Task.Delay(RecoveryLoad, cancel);
            workers.Pause();
            long recoveryLast = ledger.Started;
            await DrainAsync(ledger, options.LostAfter, Say);
            await workers.StopAsync(TimeSpan.FromSeconds(5));
            long recoveryFailures = 0;
            for (long id = recoveryFirst; id < recoveryLast; id++)
            {
                if (ledger.Outcome(id) != CallLedger.EndedOk)
                {
                    recoveryFailures++;
                }
            }

            var lost = ledger.StillInFlight();
            foreach (long id in lost.Take(10))
            {
                Say($"LOST: call {id} ({Plan(id)})");
            }

            await Task.Delay(Settle, cancel);
            var final = LeakSnapshot.Take(cluster.GatewayPid);
            Say($"final: gateway fds {final.GatewayFds}, children {final.GatewayChildren}; driver fds {final.DriverFds}");
            await cluster.DisposeAsync();
            var audit = ExecutionAudit.Run(cluster.ExecutionLogs, ledger, Plan);
            var summary = ChaosSummary.Build(options, ledger, audit, monkey, cluster, baseline, final, lost.Count,
                warmupCalls, chaosCalls, chaosTime, recoveryLast - recoveryFirst, recoveryFailures, clock.Elapsed);
            Console.Out.Write(summary.Table());
            if (options.JsonPath is { } json)
            {
                await File.WriteAllTextAsync(json, summary.Json(), cancel);
            }

            if (!options.Keep)
            {
                cluster.DeleteDirectory();
            }
            else
            {
                Say($"kept {cluster.Directory}");
            }

            return summary.Passed ? 0 : 1;
        }
        finally
        {
            await chaosStop.CancelAsync();
            await chaos;
            await cluster.DisposeAsync();
        }
    }

    /// <summary>The gateway's <c>gatehouse services</c> (admin): each registered service with its outstanding requests.</summary>
    private static async Task<string> GatewayServicesAsync(GatehouseClient client)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var result = await client.CallAsync(new CallRequest("services") { Domain = "gatehouse" }, cts.Token);
            return result.StdoutText + (result.Succeeded ? string.Empty : result.Status.ToString());
        }
        catch (Exception ex)
        {
            return $"({ex.GetType().Name}: {ex.Message})";
        }
    }

    /// <summary>Waits until no call is in flight, or until the oldest has been in flight for <paramref name="limit"/>.</summary>
    private static async Task DrainAsync(CallLedger ledger, TimeSpan limit, Action<string> say)
    {
        var clock = Stopwatch.StartNew();
        while (ledger.InFlight > 0 && clock.Elapsed < limit + TimeSpan.FromSeconds(1))
        {
            await Task.Delay(20);
            foreach (var (id, age) in ledger.NewlyOverdue(limit))
            {
                say($"OVERDUE: call {id} in flight for {age.TotalSeconds:0} s");
            }
        }
    }
}
