using System.Globalization;

namespace Gatehouse.Cluster.Bench;

/// <summary>Prints the figures as a Markdown table, one column per size, with the targets.</summary>
internal static class Report
{
    public static void Print(IReadOnlyList<SizeFigures> results, BenchOptions o, TextWriter w)
    {
        w.WriteLine("| figure | target | " + string.Join(" | ", results.Select(r => $"{r.Size} members")) + " |");
        w.WriteLine("| --- | --- | " + string.Join(" | ", results.Select(_ => "---")) + " |");
        Row(w, "crash seen dead by every member, p50 (s)", "", results, r => S(r.DetectAllP50));
        Row(w, "crash seen dead by every member, p99 (s)", "<= 8 at 10; <= 18 at 1,000", results, r => S(r.DetectAllP99));
        Row(w, "crash seen dead, per observer p50 (s)", "", results, r => S(r.DetectObserverP50));
        Row(w, "crash seen dead, per observer p99 (s)", "", results, r => S(r.DetectObserverP99));
        Row(w, $"false deaths, {o.Loss:P0} loss, {o.Minutes} min", "0", results, r => r.FalseDeathsLoss.ToString(CultureInfo.InvariantCulture));
        Row(w, $"false deaths, one member stalled 2 s every 10 s, {o.Minutes} min", "0", results, r => r.FalseDeathsStall.ToString(CultureInfo.InvariantCulture));
        Row(w, "idle traffic per member (B/s, sealed)", "<= 1,000 at 10; <= 5,000 at 1,000", results, r => r.IdleBytesPerSecond.ToString("F0", CultureInfo.InvariantCulture));
        Row(w, "idle datagrams per member (/s)", "~4 (memberlist)", results, r => r.IdleDatagramsPerSecond.ToString("F2", CultureInfo.InvariantCulture));
        Row(w, "metadata change seen by 99% (s)", "<= 1 at 10; <= 3 at 1,000", results, r => S(r.MetadataTo99Percent));
        Row(w, "all alive after a mass restart (s)", "<= 60", results, r => S(r.MassRestartAllAlive));
        Row(w, "push-pulls in progress at once, per member (max)", "<= 128", results, r => r.MaxPushPulls.ToString(CultureInfo.InvariantCulture));
        Row(w, "simulated time (s)", "", results, r => r.SimulatedSeconds.ToString("F0", CultureInfo.InvariantCulture));
        Row(w, "real time (s)", "", results, r => r.RealSeconds.ToString("F1", CultureInfo.InvariantCulture));
        Row(w, "managed heap after the run (MiB)", "", results, r => r.PeakManagedMiB.ToString("F0", CultureInfo.InvariantCulture));
    }

    private static void Row(TextWriter w, string title, string target, IReadOnlyList<SizeFigures> results, Func<SizeFigures, string> value) =>
        w.WriteLine($"| {title} | {target} | " + string.Join(" | ", results.Select(value)) + " |");

    private static string S(double seconds) => double.IsInfinity(seconds) ? "never" : seconds.ToString("F2", CultureInfo.InvariantCulture);
}
