using System.Globalization;

namespace Gatehouse.Chaos;

/// <summary>Command-line options of the chaos soak (immutable, validated by <see cref="Parse"/>).</summary>
public sealed record ChaosOptions
{
    /// <summary>How long calls are issued under chaos (the warm-up and the settling come on top). Default 60 s.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Stop issuing calls after this many (whichever of this and <see cref="Duration"/> comes first); null: no limit.</summary>
    public long? Requests { get; init; }

    /// <summary>Calls in flight at once. Default 64.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>Service processes attached to the gateway. Default 3.</summary>
    public int Services { get; init; } = 3;

    /// <summary>Seed of every random choice (call mix, chaos schedule). Default: time-based, printed.</summary>
    public int Seed { get; init; } = Environment.TickCount & 0x7fffffff;

    /// <summary>Mean time between two service SIGKILLs (exponentially distributed). Default 2 s.</summary>
    public TimeSpan KillInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Mean time between two gateway restarts (uniform in 0.5x..1.5x). Default 15 s.</summary>
    public TimeSpan GatewayRestartInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Share of calls that run the remctl.conf exec command instead of a service. Default 0.01.</summary>
    public double ExecShare { get; init; } = 0.01;

    /// <summary>Deadline given to the calls that carry one (half of them). Default 15 s.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A call that has not ended this long after it started counts as lost. Default 45 s.</summary>
    public TimeSpan LostAfter { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Calls before chaos starts, to take the leak baseline warm. Default 3 s.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Descriptors the gateway or the driver may hold above the baseline before it counts as a leak. Default 4.</summary>
    public int FdTolerance { get; init; } = 4;

    /// <summary>Where to write the summary as JSON, or null.</summary>
    public string? JsonPath { get; init; }

    /// <summary>The gatehouse CLI (gatehouse.dll) to run as the gateway; null: the one built next to this repository.</summary>
    public string? GatehouseDll { get; init; }

    /// <summary>Keep the temporary directory (state, logs) for inspection.</summary>
    public bool Keep { get; init; }

    /// <summary>Print a progress line this often. Default 5 s.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    public const string Usage = """
        usage: Gatehouse.Chaos [--duration SECONDS] [--requests N] [--concurrency N] [--services N] [--seed N]
                               [--kill-interval SECONDS] [--gateway-restart-interval SECONDS] [--exec-share FRACTION]
                               [--deadline SECONDS] [--lost-after SECONDS] [--warmup SECONDS] [--fd-tolerance N]
                               [--json FILE] [--gatehouse PATH/gatehouse.dll] [--keep] [--progress SECONDS]
               Gatehouse.Chaos service ...   (the chaos service role, started by the driver)
        """;

    /// <summary>Parses and validates driver arguments.</summary>
    /// <exception cref="ArgumentException">Unknown option, missing value or a value out of range.</exception>
    public static ChaosOptions Parse(IReadOnlyList<string> args)
    {
        var o = new ChaosOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            o = name switch
            {
                "--duration" => o with { Duration = Seconds(name, Next()) },
                "--requests" => o with { Requests = Number(name, Next(), 1, long.MaxValue) },
                "--concurrency" => o with { Concurrency = (int)Number(name, Next(), 1, 4096) },
                "--services" => o with { Services = (int)Number(name, Next(), 1, 64) },
                "--seed" => o with { Seed = (int)Number(name, Next(), 0, int.MaxValue) },
                "--kill-interval" => o with { KillInterval = Seconds(name, Next()) },
                "--gateway-restart-interval" => o with { GatewayRestartInterval = Seconds(name, Next()) },
                "--exec-share" => o with { ExecShare = Fraction(name, Next()) },
                "--deadline" => o with { Deadline = Seconds(name, Next()) },
                "--lost-after" => o with { LostAfter = Seconds(name, Next()) },
                "--warmup" => o with { Warmup = Seconds(name, Next()) },
                "--fd-tolerance" => o with { FdTolerance = (int)Number(name, Next(), 0, 1000) },
                "--json" => o with { JsonPath = Next() },
                "--gatehouse" => o with { GatehouseDll = Next() },
                "--keep" => o with { Keep = true },
                "--progress" => o with { ProgressInterval = Seconds(name, Next()) },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }

        if (o.LostAfter <= o.Deadline)
        {
            throw new ArgumentException("--lost-after must be longer than --deadline (a call may take its deadline plus the client's grace)");
        }

        return o;
    }

    private static TimeSpan Seconds(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && s < 1e7
            ? TimeSpan.FromSeconds(s)
            : throw new ArgumentException($"{name}: '{text}' is not a positive number of seconds");

    private static long Number(string name, string text, long min, long max) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name}: '{text}' is not a whole number in {min}..{max}");

    private static double Fraction(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && f >= 0 && f <= 1
            ? f
            : throw new ArgumentException($"{name}: '{text}' is not a fraction in 0..1");
}
