using Gatehouse.Cluster.Soak.Cluster;
using Gatehouse.Cluster.Soak.Report;

namespace Gatehouse.Cluster.Soak.Phases;

/// <summary>What every phase works with.</summary>
internal sealed record PhaseContext(SoakCluster Cluster, SoakOptions Options, SoakReport Report, Action<string> Say, CancellationToken Cancel)
{
    /// <summary>Crashes (gateways that exited by themselves) found between phases.</summary>
    public List<string> Crashes { get; } = [];

    /// <summary>
    /// Before a phase: revives crashed gateways, then waits until every member sees every member
    /// alive. Returns false (and says so) when that does not happen in time; the phase still runs.
    /// </summary>
    public async Task<bool> SettleAsync(string phase)
    {
        Crashes.AddRange(await Cluster.ReviveCrashedAsync(Cancel));
        if (await Cluster.UntilAllAliveAsync(Options.ConvergeTimeout, Cancel) is null)
        {
            Say($"{phase}: the cluster did not converge (all alive everywhere) within {Options.ConvergeTimeout.TotalSeconds:0} s: {await Cluster.DescribeViewsAsync(Cancel)}");
            return false;
        }

        return true;
    }
}
