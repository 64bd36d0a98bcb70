namespace Gatehouse.Chaos.Cluster;

/// <summary>
/// The chaos schedule: SIGKILL a random service every so often (exponential gaps around the mean,
/// so kills sometimes come in quick succession) and restart it; restart the gateway every so often
/// (uniform around the mean), by SIGTERM or SIGKILL with equal odds. One action at a time, each
/// waits until the cluster is whole again (so the gateway is never down while a service restarts).
/// Processes that exit by themselves are revived and reported as crashes.
/// </summary>
internal sealed class ChaosMonkey
{
    private readonly ChaosCluster _cluster;
    private readonly ChaosOptions _options;
    private readonly Random _random;
    private readonly Action<string> _say;

    public ChaosMonkey(ChaosCluster cluster, ChaosOptions options, Action<string> say)
    {
        _cluster = cluster;
        _options = options;
        _say = say;
        _random = new Random(options.Seed);
    }

    public int ServiceKills { get; private set; }

    public int GatewayKills { get; private set; }

    public int GatewayTerms { get; private set; }

    /// <summary>The longest time a gateway took to exit after SIGTERM (its drain).</summary>
    public TimeSpan LongestDrain { get; private set; }

    /// <summary>Failures of the chaos machinery itself (a restart that did not come back).</summary>
    public List<string> Failures { get; } = [];

    public async Task RunAsync(CancellationToken stop)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var nextKill = clock.Elapsed + NextKillGap();
        var nextRestart = clock.Elapsed + NextRestartGap();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(50, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await _cluster.ReviveCrashedAsync();
                if (clock.Elapsed >= nextRestart)
                {
                    bool kill = _random.Next(2) == 0;
                    var exit = await _cluster.RestartGatewayAsync(kill);
                    if (kill)
                    {
                        GatewayKills++;
                    }
                    else
                    {
                        GatewayTerms++;
                        LongestDrain = exit > LongestDrain ? exit : LongestDrain;
                    }

                    _say($"gateway restarted ({(kill ? "SIGKILL" : $"SIGTERM, exited in {exit.TotalMilliseconds:0} ms")}); {_cluster}");
                    nextRestart = clock.Elapsed + NextRestartGap();
                }
                else if (clock.Elapsed >= nextKill)
                {
                    int index = _random.Next(_cluster.ServiceCount);
                    await _cluster.KillServiceAsync(index);
                    ServiceKills++;
                    nextKill = clock.Elapsed + NextKillGap();
                }
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                Failures.Add(ex.Message);
                _say("CHAOS FAILURE: " + ex.Message);
            }
        }
    }

    private TimeSpan NextKillGap() => TimeSpan.FromSeconds(-Math.Log(1 - _random.NextDouble()) * _options.KillInterval.TotalSeconds);

    private TimeSpan NextRestartGap() => TimeSpan.FromSeconds((0.5 + _random.NextDouble()) * _options.GatewayRestartInterval.TotalSeconds);
}
