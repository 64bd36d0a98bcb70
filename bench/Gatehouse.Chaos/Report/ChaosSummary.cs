using System.Globalization;
using System.Text;
using System.Text.Json;
using Gatehouse.Chaos.Cluster;
using Gatehouse.Chaos.Ledger;

namespace Gatehouse.Chaos.Report;

/// <summary>
/// The result of a soak: counts, leaks and the verdict. <see cref="Table"/> is what a person reads;
/// <see cref="Json"/> is what the CI test reads. Every field is a plain number or string.
/// </summary>
public sealed record ChaosSummary
{
    public int Seed { get; init; }

    public int Services { get; init; }

    public int Concurrency { get; init; }

    public double ChaosSeconds { get; init; }

    public double TotalSeconds { get; init; }

    /// <summary>Every call started (warm-up, chaos and recovery).</summary>
    public long Requests { get; init; }

    public long WarmupRequests { get; init; }

    public long ChaosRequests { get; init; }

    /// <summary>Calls per second while the chaos ran.</summary>
    public double ChaosRate { get; init; }

    public long Ended { get; init; }

    public long Ok { get; init; }

    /// <summary>Ended calls by kind (ok, error code names, exit:N, exception:Type, wrong-output).</summary>
    public IReadOnlyDictionary<string, long> Statuses { get; init; } = new Dictionary<string, long>();

    /// <summary>Calls that never ended within the lost-after limit.</summary>
    public long Lost { get; init; }

    /// <summary>Calls that ended after being reported overdue (they did end once).</summary>
    public long Late { get; init; }

    public long EndedTwice { get; init; }

    public long Executions { get; init; }

    public long Duplicated { get; init; }

    public long DuplicatedIdempotent { get; init; }

    public long OkNotExecuted { get; init; }

    public long LogGarbage { get; init; }

    public long WrongOutput { get; init; }

    public long RecoveryRequests { get; init; }

    public long RecoveryFailures { get; init; }

    public int ServiceKills { get; init; }

    public int GatewayKills { get; init; }

    public int GatewayTerms { get; init; }

    public double LongestDrainSeconds { get; init; }

    /// <summary>The gateway's descriptors at rest after the warm-up, loaded code (assemblies, libraries) not counted.</summary>
    public int GatewayFdsBefore { get; init; }

    public int GatewayFdsAfter { get; init; }

    public string GatewayFdsBeforeDetail { get; init; } = "";

    public string GatewayFdsAfterDetail { get; init; } = "";

    public int GatewayChildrenBefore { get; init; }

    public int GatewayChildrenAfter { get; init; }

    public int DriverFdsBefore { get; init; }

    public int DriverFdsAfter { get; init; }

    public int Zombies { get; init; }

    /// <summary>Descriptor kinds the gateway holds more of after than before.</summary>
    public IReadOnlyList<string> GatewayFdsGrown { get; init; } = [];

    /// <summary>Descriptor kinds the driver holds more of after than before.</summary>
    public IReadOnlyList<string> DriverFdsGrown { get; init; } = [];

    public int FdTolerance { get; init; }

    public IReadOnlyList<string> Crashes { get; init; } = [];

    public IReadOnlyList<string> ChaosFailures { get; init; } = [];

    public IReadOnlyList<string> Examples { get; init; } = [];

    /// <summary>What failed, one short line each; empty when the soak passed.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    public bool Passed => Problems.Count == 0;

    internal static ChaosSummary Build(ChaosOptions options, CallLedger ledger, AuditResult audit, ChaosMonkey monkey, ChaosCluster cluster,
        LeakSnapshot before, LeakSnapshot after, long lost, long warmup, long chaosCalls, TimeSpan chaosTime, long recoveryCalls, long recoveryFailures, TimeSpan total)
    {
        var statuses = ledger.Kinds().ToDictionary(k => k.Key, k => k.Value);
        var s = new ChaosSummary
        {
            Seed = options.Seed,
            Services = options.Services,
            Concurrency = options.Concurrency,
            ChaosSeconds = Math.Round(chaosTime.TotalSeconds, 1),
            TotalSeconds = Math.Round(total.TotalSeconds, 1),
            Requests = ledger.Started,
            WarmupRequests = warmup,
            ChaosRequests = chaosCalls,
            ChaosRate = Math.Round(chaosCalls / Math.Max(chaosTime.TotalSeconds, 0.001)),
            Ended = ledger.Ended,
            Ok = ledger.Ok,
            Statuses = statuses,
            Lost = lost,
            Late = ledger.Late,
            EndedTwice = ledger.EndedTwice,
            Executions = audit.Executions,
            Duplicated = audit.Duplicated,
            DuplicatedIdempotent = audit.DuplicatedIdempotent,
            OkNotExecuted = audit.OkNotExecuted,
            LogGarbage = audit.Garbage,
            WrongOutput = statuses.GetValueOrDefault("wrong-output"),
            RecoveryRequests = recoveryCalls,
            RecoveryFailures = recoveryFailures,
            ServiceKills = monkey.ServiceKills,
            GatewayKills = monkey.GatewayKills,
            GatewayTerms = monkey.GatewayTerms,
            LongestDrainSeconds = Math.Round(monkey.LongestDrain.TotalSeconds, 2),
            GatewayFdsBefore = before.GatewayFds?.WithoutCode ?? -1,
            GatewayFdsAfter = after.GatewayFds?.WithoutCode ?? -1,
            GatewayFdsBeforeDetail = before.GatewayFds?.ToString() ?? "unreadable",
            GatewayFdsAfterDetail = after.GatewayFds?.ToString() ?? "unreadable",
            GatewayChildrenBefore = before.GatewayChildren,
            GatewayChildrenAfter = after.GatewayChildren,
            DriverFdsBefore = before.DriverFds?.WithoutCode ?? -1,
            DriverFdsAfter = after.DriverFds?.WithoutCode ?? -1,
            Zombies = after.Zombies,
            GatewayFdsGrown = LeakSnapshot.Grown(before.GatewayTargets, after.GatewayTargets),
            DriverFdsGrown = LeakSnapshot.Grown(before.DriverTargets, after.DriverTargets),
            FdTolerance = options.FdTolerance,
            Crashes = cluster.Crashes.ToList(),
            ChaosFailures = monkey.Failures.ToList(),
            Examples = audit.Examples,
        };
        return s with { Problems = s.FindProblems(after) };
    }

    private List<string> FindProblems(LeakSnapshot after)
    {
        var p = new List<string>();
        void Check(bool bad, string what)
        {
            if (bad)
            {
                p.Add(what);
            }
        }

        Check(Lost > 0, $"{Lost} calls lost (never ended)");
        Check(EndedTwice > 0, $"{EndedTwice} calls ended twice");
        Check(Duplicated > 0, $"{Duplicated} calls (not idempotent) ran more than once");
        Check(OkNotExecuted > 0, $"{OkNotExecuted} calls ended ok though no backend ran them");
        Check(WrongOutput > 0, $"{WrongOutput} calls returned another call's output");
        Check(LogGarbage > 0, $"{LogGarbage} execution log lines are not ids of this run");
        Check(RecoveryFailures > 0, $"{RecoveryFailures} of {RecoveryRequests} calls after the chaos stopped did not succeed");
        Check(GatewayFdsAfter < 0 || GatewayFdsBefore < 0, "the gateway's descriptors could not be read");
        Check(GatewayFdsAfter - GatewayFdsBefore > FdTolerance, $"gateway descriptors grew from {GatewayFdsBefore} to {GatewayFdsAfter} (tolerance {FdTolerance})");
        Check(GatewayChildrenAfter > 0, $"the gateway still has {GatewayChildrenAfter} child processes: {string.Join(", ", after.ChildNames)}");
        Check(Zombies > 0, $"{Zombies} zombie processes");
        Check(DriverFdsAfter - DriverFdsBefore > FdTolerance, $"driver descriptors grew from {DriverFdsBefore} to {DriverFdsAfter} (tolerance {FdTolerance})");
        Check(Crashes.Count > 0, $"{Crashes.Count} processes exited by themselves");
        Check(ChaosFailures.Count > 0, $"{ChaosFailures.Count} restarts did not complete");
        return p;
    }

    /// <summary>The summary as a table (Markdown-style), then the problems or PASS.</summary>
    public string Table()
    {
        var sb = new StringBuilder();
        void Row(string name, string value) => sb.Append(CultureInfo.InvariantCulture, $"| {name,-36} | {value,-52} |\n");
        static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
        sb.Append('\n');
        Row("chaos soak", $"seed {Seed}, {Services} services, {Concurrency} in flight");
        sb.Append("|--------------------------------------|------------------------------------------------------|\n");
        Row("requests (warm-up+chaos+recovery)", $"{N(Requests)} ({N(WarmupRequests)} + {N(ChaosRequests)} + {N(RecoveryRequests)})");
        Row("under chaos", $"{ChaosSeconds:0.0} s, {ChaosRate:N0} calls/s");
        Row("ended", N(Ended));
        foreach (var (kind, count) in Statuses.OrderByDescending(k => k.Value))
        {
            Row("  " + kind, $"{N(count)} ({100.0 * count / Math.Max(1, Ended):0.###} %)");
        }

        Row("lost", N(Lost));
        Row("ended twice", N(EndedTwice));
        Row("late (ended after overdue)", N(Late));
        Row("executions logged", N(Executions));
        Row("duplicated (not idempotent)", N(Duplicated));
        Row("duplicated (idempotent, retried)", N(DuplicatedIdempotent));
        Row("ok but not executed", N(OkNotExecuted));
        Row("after chaos: calls / failed", $"{N(RecoveryRequests)} / {N(RecoveryFailures)}");
        Row("service kills (SIGKILL)", N(ServiceKills));
        Row("gateway restarts SIGKILL / SIGTERM", $"{GatewayKills} / {GatewayTerms} (longest drain {LongestDrainSeconds:0.00} s)");
        Row("gateway fds before / after (no code)", $"{GatewayFdsBefore} / {GatewayFdsAfter}");
        Row("  before", GatewayFdsBeforeDetail);
        Row("  after", GatewayFdsAfterDetail);
        Row("gateway children before / after", $"{GatewayChildrenBefore} / {GatewayChildrenAfter}");
        Row("zombies", Zombies.ToString(CultureInfo.InvariantCulture));
        Row("driver fds before / after (no code)", $"{DriverFdsBefore} / {DriverFdsAfter}");
        Row("crashes", Crashes.Count.ToString(CultureInfo.InvariantCulture));
        Row("total time", $"{TotalSeconds:0.0} s");
        sb.Append('\n');
        foreach (string e in Examples)
        {
            sb.Append("example: ").Append(e).Append('\n');
        }

        foreach (string g in GatewayFdsGrown)
        {
            sb.Append("gateway descriptors grown: ").Append(g).Append('\n');
        }

        foreach (string g in DriverFdsGrown)
        {
            sb.Append("driver descriptors grown: ").Append(g).Append('\n');
        }

        foreach (string c in Crashes.Concat(ChaosFailures))
        {
            sb.Append("crash: ").Append(c).Append('\n');
        }

        sb.Append(Passed ? "PASS\n" : "FAIL: " + string.Join("; ", Problems) + "\n");
        return sb.ToString();
    }

    /// <summary>The summary as indented JSON (camelCase).</summary>
    public string Json() => JsonSerializer.Serialize(this, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
