using System.Diagnostics;
using System.Globalization;
using Gatehouse.Cluster.Bench;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"Gatehouse.Cluster.Bench: {e.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
Console.WriteLine($"membership benchmark (simulated): sizes {string.Join(",", options.Sizes)}, seed {options.Seed}, loss {options.Loss:P0}, {options.Minutes} simulated min, {options.Trials} kills{(options.Smoke ? ", smoke" : "")}");
var total = Stopwatch.StartNew();
var results = new List<SizeFigures>();
foreach (int size in options.Sizes)
{
    results.Add(MembershipBench.Run(size, options, Console.Out));
}

Console.WriteLine();
Report.Print(results, options, Console.Out);
Console.WriteLine();
Console.WriteLine($"total real time {total.Elapsed.TotalSeconds:F1} s");
return 0;
