using Gatehouse.Bench.Processes;

namespace Gatehouse.Chaos.Cluster;

/// <summary>
/// Descriptors and processes at one quiet moment (no call in flight): the gateway's open
/// descriptors and children, the driver's own descriptors, and zombies of either.
/// </summary>
/// <param name="GatewayPid">The gateway measured.</param>
/// <param name="GatewayFds">Its descriptors, or null when it could not be read.</param>
/// <param name="GatewayChildren">Its child processes (exec commands still running or unreaped).</param>
/// <param name="DriverFds">This process's descriptors.</param>
/// <param name="Zombies">Zombie processes whose parent is the gateway or this process.</param>
/// <param name="ChildNames">Names of the gateway's children, for the report.</param>
/// <param name="GatewayTargets">What the gateway's descriptors link to (to name what grew).</param>
/// <param name="DriverTargets">What the driver's descriptors link to.</param>
public sealed record LeakSnapshot(int GatewayPid, FdCounts? GatewayFds, int GatewayChildren, FdCounts? DriverFds, int Zombies, IReadOnlyList<string> ChildNames,
    IReadOnlyList<string> GatewayTargets, IReadOnlyList<string> DriverTargets)
{
    /// <summary>Descriptor targets in <paramref name="after"/> beyond those in <paramref name="before"/>, loaded code left out (sockets and pipes by kind only, as their inodes change).</summary>
    public static List<string> Grown(IReadOnlyList<string> before, IReadOnlyList<string> after)
    {
        static string Kind(string t) => t.StartsWith("socket:", StringComparison.Ordinal) ? "socket" : t.StartsWith("pipe:", StringComparison.Ordinal) ? "pipe" : t;
        var left = before.Select(Kind).GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        var grown = new List<string>();
        foreach (var g in after.Where(t => !FdCounts.IsCode(t)).Select(Kind).GroupBy(k => k))
        {
            int extra = g.Count() - left.GetValueOrDefault(g.Key);
            if (extra > 0)
            {
                grown.Add($"{extra} x {g.Key}");
            }
        }

        return grown;
    }

    /// <summary>Takes a snapshot; collects the driver's garbage first so that only descriptors still referenced count.</summary>
    public static LeakSnapshot Take(int gatewayPid)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var all = ProcTable.All();
        int self = Environment.ProcessId;
        // The gateway's exec watchdog (OrphanGuard, argv[0] "gatehouse-orphan-guard") lives as long as
        // the gateway by design; every other child is a leak.
        var children = all.Where(p => p.ParentPid == gatewayPid && !IsOrphanGuard(p.Pid)).ToList();
        int zombies = all.Count(p => p.State == 'Z' && (p.ParentPid == gatewayPid || p.ParentPid == self));
        return new LeakSnapshot(gatewayPid, ProcTable.Fds(gatewayPid), children.Count, ProcTable.Fds(self), zombies,
            children.Select(c => $"{c.Pid} {c.Name} {c.State}").ToList(), ProcTable.FdTargets(gatewayPid), ProcTable.FdTargets(self));
    }

    private static bool IsOrphanGuard(int pid)
    {
        try
        {
            string cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.StartsWith("gatehouse-orphan-guard\0", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // gone meanwhile
        }
    }
}
