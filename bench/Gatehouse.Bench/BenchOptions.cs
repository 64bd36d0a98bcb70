namespace Gatehouse.Bench;

/// <summary>Command-line options of the runner (immutable).</summary>
public sealed record BenchOptions
{
    public bool Smoke { get; init; }

    /// <summary>Where to write the JSON results, or null.</summary>
    public string? JsonPath { get; init; }

    /// <summary>Systems to run, in column order; Gatehouse is always first.</summary>
    public IReadOnlyList<string> Systems { get; init; } = ["gatehouse", "nats", "grpc", "remctld"];

    /// <summary>Scenario ids to run (null: all), e.g. <c>c128,mib</c>.</summary>
    public IReadOnlyList<string>? Scenarios { get; init; }

    /// <summary>Overrides the measured duration of each repetition (null: the mode's default).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Overrides the number of repetitions (null: the mode's default).</summary>
    public int? Repetitions { get; init; }

    /// <summary>
    /// Alternate the repetitions of each direct scenario with those of the forwarded and redirected
    /// scenarios measuring the same workload (seq, fwd_seq, rdr_seq, seq, ...), so that a drift in
    /// the host's load falls on all of them. The second member is then started before the first such
    /// group, and is running (idle) during the direct repetitions.
    /// </summary>
    public bool Interleave { get; init; }

    /// <summary>The throwaway-realm recipe for remctld; null skips remctld.</summary>
    public string? RemctlRealmScript { get; init; } = DefaultRealmScript();

    public const string Usage = """
        usage: Gatehouse.Bench [--smoke] [--json FILE] [--systems gatehouse,gatehouse-observed,nats,grpc,remctld] [--remctl-realm PATH]
                                 [--scenarios seq,c1,c16,c128,mib,true,stream,fwd_seq,fwd_c128,fwd_stall,fwd_stream,
                                   rdr_seq,rdr_c128,rdr_stream,rdr_first,idle] [--duration SECONDS] [--reps N] [--interleave]
               Gatehouse.Bench gateway|service|grpc-server|nats-service ...   (child roles, started by the runner)
        """;

    /// <summary>Parses runner arguments.</summary>
    /// <exception cref="ArgumentException">Unknown or incomplete option.</exception>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--smoke" => options with { Smoke = true },
                "--interleave" => options with { Interleave = true },
                "--json" => options with { JsonPath = Next() },
                "--systems" => options with { Systems = ["gatehouse", .. Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Where(s => s != "gatehouse")] },
                "--remctl-realm" => options with { RemctlRealmScript = Next() },
                "--scenarios" => options with { Scenarios = ScenarioIds(Next()) },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture)) },
                "--reps" => options with { Repetitions = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return options;
    }

    /// <summary>The ids in <paramref name="list"/> (comma-separated), each one of <see cref="Load.Scenario.All"/>.</summary>
    private static string[] ScenarioIds(string list)
    {
        string[] ids = list.Split(',', StringSplitOptions.RemoveEmptyEntries);
        string[] unknown = [.. ids.Where(id => !Load.Scenario.All.Any(s => s.Id == id))];
        return unknown.Length == 0 ? ids : throw new ArgumentException($"unknown scenario {string.Join(", ", unknown)}");
    }

    private static string? DefaultRealmScript()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("GATEHOUSE_REMCTL_REALM");
        const string Shared = "/work/shared/tools/remctl-realm.sh";
        return !string.IsNullOrEmpty(fromEnv) ? fromEnv : File.Exists(Shared) ? Shared : null;
    }
}
