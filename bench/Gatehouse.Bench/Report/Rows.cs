using System.Globalization;
using Gatehouse.Bench.Load;
using Gatehouse.Protocol;

namespace Gatehouse.Bench.Report;

/// <summary>What a goal limits: a forwarded figure's ratio to the same figure measured directly, or the figure itself.</summary>
public enum GoalOf
{
    RatioToDirect,
    Value,

    /// <summary>
    /// The ratio to the direct figure is 1 within the noise: |ratio - 1| at most the largest
    /// relative deviation of a repetition from its median, among this row's and the direct row's
    /// repetitions (<see cref="Report.TableWriter.Noise"/>). Not judged with fewer than two of each.
    /// </summary>
    SameAsDirect,
}

/// <summary>A target a row is held to (issue 15), checked for Gatehouse.</summary>
/// <param name="Of">What is limited.</param>
/// <param name="Limit">The limit (for <see cref="GoalOf.SameAsDirect"/>, the ratio aimed at: 1).</param>
/// <param name="AtMost">True: the figure must be at most <paramref name="Limit"/>; false: at least (not used by <see cref="GoalOf.SameAsDirect"/>).</param>
/// <param name="Text">How the table states it.</param>
public sealed record Goal(GoalOf Of, double Limit, bool AtMost, string Text)
{
    /// <summary>
    /// True when <paramref name="figure"/> (the ratio or the value, per <see cref="Of"/>) meets the
    /// goal; null when it is not a number, or (<see cref="GoalOf.SameAsDirect"/>) when
    /// <paramref name="noise"/> is not.
    /// </summary>
    public bool? IsMet(double figure, double noise = double.NaN) => Of == GoalOf.SameAsDirect
        ? double.IsFinite(figure) && double.IsFinite(noise) ? Math.Abs(figure - Limit) <= noise : null
        : double.IsFinite(figure) ? (AtMost ? figure <= Limit : figure >= Limit) : null;

    /// <summary>The redirected rows' target: after the redirect, calls cost what direct calls cost.</summary>
    public static Goal SameAsDirectCalls { get; } = new(GoalOf.SameAsDirect, 1.0, AtMost: true, "rdr/direct = 1x within noise");
}

/// <summary>One row of the results table: a figure extracted from one scenario's measurements.</summary>
/// <param name="Id">JSON key.</param>
/// <param name="Title">Row label.</param>
/// <param name="ScenarioId">The scenario it comes from (several rows may share one).</param>
/// <param name="Unit">Unit of the figure.</param>
/// <param name="HigherIsBetter">Throughput (ratio gh/peer) or latency (ratio peer/gh).</param>
/// <param name="Extract">The figure from one repetition.</param>
/// <param name="DirectId">A forwarded or redirected row: the row measuring the same figure with the client on the service's own member.</param>
/// <param name="Goal">The target the row is held to, if any.</param>
public sealed record Row(string Id, string Title, string ScenarioId, string Unit, bool HigherIsBetter, Func<Measurement, double> Extract,
    string? DirectId = null, Goal? Goal = null)
{
    /// <summary>
    /// The bound on what a forwarding member holds for one stalled stream: two stream windows (the
    /// window it granted the member upstream, whose bytes it may hold until the caller takes them,
    /// and the window the caller granted it, whose bytes may sit in its output to the caller). The
    /// stream window (<see cref="ProtocolSettings.InitialStreamWindow"/>, 1 MiB by default) is
    /// the binding one: a single stream never gets more than its window, whatever the connection's.
    /// </summary>
    public static long StallBoundBytes { get; } = 2L * ProtocolSettings.Default.InitialStreamWindow;

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
        new("fwd_seq_p50_us", "forwarded sequential 64 B echo p50", "fwd_seq", "µs", false, m => m.Percentile(0.50),
            DirectId: "seq_p50_us", Goal: new(GoalOf.RatioToDirect, 1.5, AtMost: true, "fwd/direct ≤ 1.5x")),
        new("fwd_seq_p99_us", "forwarded sequential 64 B echo p99", "fwd_seq", "µs", false, m => m.Percentile(0.99), DirectId: "seq_p99_us"),
        new("fwd_c128_rps", "forwarded 64 B echo, 128 in flight", "fwd_c128", "req/s", true, m => m.OpsPerSecond,
            DirectId: "c128_rps", Goal: new(GoalOf.RatioToDirect, 0.6, AtMost: false, "fwd/direct ≥ 0.6x")),
        new("fwd_stream_mbps", "forwarded 1 GiB streamed output", "fwd_stream", "MB/s", true, m => m.MegabytesPerSecond, DirectId: "stream_mbps"),
        new("fwd_stall_rss_mb", "forwarded stream stalled: fwd gw RSS growth", "fwd_stall", "MiB", false, m => m.ServerMemoryGrowthMb,
            Goal: new(GoalOf.Value, StallBoundBytes / 1048576.0, AtMost: true,
                string.Create(CultureInfo.InvariantCulture, $"≤ {StallBoundBytes:N0} B (2 stream windows)"))),
        new("fwd_stall_held_mb", "forwarded stream stalled: bytes held by fwd gw", "fwd_stall", "MiB", false, m => m.HeldBytes is { } b ? b / 1048576.0 : double.NaN,
            Goal: new(GoalOf.Value, StallBoundBytes / 1048576.0, AtMost: true,
                string.Create(CultureInfo.InvariantCulture, $"≤ {StallBoundBytes:N0} B (2 stream windows)"))),
        new("rdr_seq_p50_us", "redirected sequential 64 B echo p50", "rdr_seq", "µs", false, m => m.Percentile(0.50),
            DirectId: "seq_p50_us", Goal: Goal.SameAsDirectCalls),
        new("rdr_seq_p99_us", "redirected sequential 64 B echo p99", "rdr_seq", "µs", false, m => m.Percentile(0.99), DirectId: "seq_p99_us"),
        new("rdr_c128_rps", "redirected 64 B echo, 128 in flight", "rdr_c128", "req/s", true, m => m.OpsPerSecond,
            DirectId: "c128_rps", Goal: Goal.SameAsDirectCalls),
        new("rdr_stream_mbps", "redirected 1 GiB streamed output", "rdr_stream", "MB/s", true, m => m.MegabytesPerSecond,
            DirectId: "stream_mbps", Goal: Goal.SameAsDirectCalls),
        new("rdr_first_ms", "redirected first call of a new client p50", "rdr_first", "ms", false, m => m.Percentile(0.50) / 1000),
        new("rdr_connect_ms", "new client's connection to B (TLS, HELLO) p50", "rdr_first", "ms", false, m => m.ConnectPercentile(0.50) / 1000),
        new("idle_rss_mb", "idle TLS connections: gw RSS", "idle", "MiB", false, m => m.ServerMemoryMb ?? double.NaN),
        new("idle_kb_per_conn", "idle TLS connections: per connection", "idle", "KiB", false, m => m.ServerMemoryPerConnectionKb ?? double.NaN),
    ];

    /// <summary>The row called <paramref name="id"/>.</summary>
    public static Row Find(string id) => All.Single(r => r.Id == id);
}
