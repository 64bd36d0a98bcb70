using Gatehouse.Bench.Load;

namespace Gatehouse.Bench.Report;

/// <summary>One row of the results table: a figure extracted from one scenario's measurements.</summary>
/// <param name="Id">JSON key.</param>
/// <param name="Title">Row label.</param>
/// <param name="ScenarioId">The scenario it comes from (several rows may share one).</param>
/// <param name="Unit">Unit of the figure.</param>
/// <param name="HigherIsBetter">Throughput (ratio gh/peer) or latency (ratio peer/gh).</param>
/// <param name="Extract">The figure from one repetition.</param>
public sealed record Row(string Id, string Title, string ScenarioId, string Unit, bool HigherIsBetter, Func<Measurement, double> Extract)
{
    /// <summary>Every row, in table order.</summary>
    public static IReadOnlyList<Row> All { get; } =
    [
        new("seq_p50_us", "sequential 64 B echo p50", "seq", "µs", false, m => m.Percentile(0.50)),
        new("seq_p99_us", "sequential 64 B echo p99", "seq", "µs", false, m => m.Percentile(0.99)),
        new("seq_p999_us", "sequential 64 B echo p99.9", "seq", "µs", false, m => m.Percentile(0.999)),
        new("c1_rps", "64 B echo, 1 in flight", "c1", "req/s", true, m => m.OpsPerSecond),
        new("c16_rps", "64 B echo, 16 in flight", "c16", "req/s", true, m => m.OpsPerSecond),
        new("c128_rps", "64 B echo, 128 in flight", "c128", "req/s", true, m => m.OpsPerSecond),
        new("mib_mbps", "1 MiB echo, 8 in flight", "mib", "MB/s", true, m => m.MegabytesPerSecond),
        new("true_rps", "no-output command, 1 in flight", "true", "req/s", true, m => m.OpsPerSecond),
        new("stream_mbps", "1 GiB streamed output", "stream", "MB/s", true, m => m.MegabytesPerSecond),
        new("idle_rss_mb", "idle TLS connections: gw RSS", "idle", "MiB", false, m => m.ServerMemoryMb ?? double.NaN),
        new("idle_kb_per_conn", "idle TLS connections: per connection", "idle", "KiB", false, m => m.ServerMemoryPerConnectionKb ?? double.NaN),
    ];
}
