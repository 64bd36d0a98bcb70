using System.Globalization;

namespace Gatehouse.Cluster.Bench;

/// <summary>Command line of the membership benchmark. Immutable; parsed once.</summary>
internal sealed record BenchOptions
{
    public IReadOnlyList<int> Sizes { get; init; } = [10, 100, 1000];

    public int Seed { get; init; } = 1;

    /// <summary>Random loss for the false-death figure.</summary>
    public double Loss { get; init; } = 0.10;

    /// <summary>Simulated minutes of the loss and stall runs.</summary>
    public double Minutes { get; init; } = 10;

    /// <summary>Kills measured per size (fewer at 1,000 members).</summary>
    public int Trials { get; init; } = 10;

    public bool Smoke { get; init; }

    public const string Usage = """
        usage: Gatehouse.Cluster.Bench [--sizes 10,100,1000] [--seed N] [--loss 0.10] [--minutes 10] [--trials 10] [--smoke]
          --smoke   sizes 10,30, 1 simulated minute, 2 trials: finishes in seconds (run by the tests)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--sizes" => o with { Sizes = Next().Split(',').Select(s => Check(int.Parse(s, CultureInfo.InvariantCulture), 3, 5000, "size")).ToArray() },
                "--seed" => o with { Seed = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--loss" => o with { Loss = Check(double.Parse(Next(), CultureInfo.InvariantCulture), 0, 0.9, "loss") },
                "--minutes" => o with { Minutes = Check(double.Parse(Next(), CultureInfo.InvariantCulture), 0.1, 600, "minutes") },
                "--trials" => o with { Trials = Check(int.Parse(Next(), CultureInfo.InvariantCulture), 1, 1000, "trials") },
                "--smoke" => o with { Smoke = true, Sizes = [10, 30], Minutes = 1, Trials = 2 },
                _ => throw new ArgumentException($"unknown argument {args[i]}"),
            };
        }

        return o;
    }

    private static T Check<T>(T value, T min, T max, string name) where T : IComparable<T> =>
        value.CompareTo(min) >= 0 && value.CompareTo(max) <= 0 ? value : throw new ArgumentException($"{name} must be {min} to {max}");
}
