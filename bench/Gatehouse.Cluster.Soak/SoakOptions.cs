using System.Globalization;

namespace Gatehouse.Cluster.Soak;

/// <summary>Command-line options of the soak (immutable; <see cref="Parse"/> validates them).</summary>
public sealed record SoakOptions
{
    /// <summary>Gateway processes, each in its own network namespace. Default 10 (2..50).</summary>
    public int Gateways { get; init; } = 10;

    /// <summary>Random UDP loss applied on every member in the false-death phase. Default 0.10.</summary>
    public double Loss { get; init; } = 0.10;

    /// <summary>How long the loss phase runs. Default 30 min.</summary>
    public TimeSpan LossDuration { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long the stall phase runs (one member SIGSTOPped 2 s of every 10 s). Default 5 min.</summary>
    public TimeSpan StallDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Stall length and period of the stall phase. Defaults 2 s of every 10 s.</summary>
    public TimeSpan StallFor { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan StallEvery { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>SIGKILLs of different members in the crash phase. Default 10.</summary>
    public int Kills { get; init; } = 10;

    /// <summary>Idle window over which traffic counters are read. Default 60 s.</summary>
    public TimeSpan IdleWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Route changes (a service attaching to one gateway) timed on every other member. Default 10.</summary>
    public int RouteChanges { get; init; } = 10;

    /// <summary>Whole-cluster restarts (kill -9 all, start all at once). Default 2.</summary>
    public int RestartAlls { get; init; } = 2;

    /// <summary>The short run (about 3 minutes): fewer kills, 45 s of loss, 30 s of stalls.</summary>
    public bool Smoke { get; init; }

    /// <summary>Where to write the figures as JSON, or null.</summary>
    public string? JsonPath { get; init; }

    /// <summary>The gatehouse CLI (gatehouse.dll); null: the one built next to this repository.</summary>
    public string? GatehouseDll { get; init; }

    /// <summary>Keep the temporary directory (state dirs, full gateway logs) for inspection.</summary>
    public bool Keep { get; init; }

    /// <summary>Every bounded wait for convergence (all alive, a kill seen everywhere). Default 60 s.</summary>
    public TimeSpan ConvergeTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The smoke preset: the same figures, shorter phases.</summary>
    public static SoakOptions SmokeDefaults { get; } = new()
    {
        Smoke = true,
        Kills = 2,
        LossDuration = TimeSpan.FromSeconds(45),
        StallDuration = TimeSpan.FromSeconds(30),
        IdleWindow = TimeSpan.FromSeconds(10),
        RouteChanges = 2,
        RestartAlls = 1,
    };

    public const string Usage = """
        usage: Gatehouse.Cluster.Soak [--gateways N] [--loss P] [--loss-minutes M] [--stall-minutes S] [--kills K]
                                      [--idle-seconds S] [--route-changes N] [--restart-alls N] [--smoke]
                                      [--json FILE] [--gatehouse PATH/gatehouse.dll] [--keep]
        Runs as root (network namespaces, a bridge, iptables); needs iproute2 and iptables.
        --smoke: 2 kills, 45 s of loss, 30 s of stalls, 10 s idle, 2 route changes, 1 restart of all (about 3 min);
        later options override it. Default: 10 kills, 30 min of loss, 5 min of stalls (about 45 min).
        """;

    /// <summary>Parses and validates the arguments.</summary>
    /// <exception cref="ArgumentException">Unknown option, missing value or a value out of range.</exception>
    public static SoakOptions Parse(IReadOnlyList<string> args)
    {
        var o = args.Contains("--smoke") ? SmokeDefaults : new SoakOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            o = name switch
            {
                "--smoke" => o,
                "--gateways" => o with { Gateways = (int)Number(name, Next(), 2, 50) },
                "--loss" => o with { Loss = Fraction(name, Next()) },
                "--loss-minutes" => o with { LossDuration = TimeSpan.FromMinutes(Positive(name, Next())) },
                "--stall-minutes" => o with { StallDuration = TimeSpan.FromMinutes(Positive(name, Next())) },
                "--kills" => o with { Kills = (int)Number(name, Next(), 0, 1000) },
                "--idle-seconds" => o with { IdleWindow = TimeSpan.FromSeconds(Positive(name, Next())) },
                "--route-changes" => o with { RouteChanges = (int)Number(name, Next(), 0, 1000) },
                "--restart-alls" => o with { RestartAlls = (int)Number(name, Next(), 0, 100) },
                "--json" => o with { JsonPath = Next() },
                "--gatehouse" => o with { GatehouseDll = Next() },
                "--keep" => o with { Keep = true },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }

        return o;
    }

    private static double Positive(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && v <= 24 * 60 * 60
            ? v
            : throw new ArgumentException($"{name}: '{text}' is not a positive number");

    private static long Number(string name, string text, long min, long max) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name}: '{text}' is not a whole number in {min}..{max}");

    private static double Fraction(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && f >= 0 && f < 1
            ? f
            : throw new ArgumentException($"{name}: '{text}' is not a fraction in 0..1 (exclusive of 1)");
}
