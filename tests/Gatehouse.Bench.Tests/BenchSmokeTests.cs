using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Gatehouse.Bench.Tests;

/// <summary>
/// Runs the side-by-side load benchmark in <c>--smoke</c> mode as a separate process and checks
/// its output: exit 0, the table with every row, JSON with the expected fields. Never asserts
/// timings (peers that are not installed show n/a and do not fail the test).
/// </summary>
public class BenchSmokeTests
{
    private static readonly string[] RowIds =
    [
        "seq_p50_us", "seq_p99_us", "seq_p999_us", "c1_rps", "c16_rps", "c128_rps", "mib_mbps", "true_rps", "stream_mbps",
        "fwd_seq_p50_us", "fwd_seq_p99_us", "fwd_c128_rps", "fwd_stream_mbps", "fwd_stall_rss_mb", "fwd_stall_held_mb",
        "rdr_seq_p50_us", "rdr_seq_p99_us", "rdr_c128_rps", "rdr_stream_mbps", "rdr_first_ms", "rdr_connect_ms",
        "idle_rss_mb", "idle_kb_per_conn",
    ];

    private static readonly string[] RowTitles =
    [
        "sequential 64 B echo p50", "sequential 64 B echo p99", "sequential 64 B echo p99.9", "64 B echo, 1 in flight",
        "64 B echo, 16 in flight", "64 B echo, 128 in flight", "1 MiB echo, 8 in flight", "no-output command, 1 in flight",
        "1 GiB streamed output", "forwarded sequential 64 B echo p50", "forwarded sequential 64 B echo p99",
        "forwarded 64 B echo, 128 in flight", "forwarded 1 GiB streamed output", "forwarded stream stalled: fwd gw RSS growth", "forwarded stream stalled: bytes held by fwd gw",
        "redirected sequential 64 B echo p50", "redirected sequential 64 B echo p99", "redirected 64 B echo, 128 in flight",
        "redirected 1 GiB streamed output", "redirected first call of a new client p50", "new client's connection to B (TLS, HELLO) p50",
        "idle TLS connections: gw RSS", "idle TLS connections: per connection",
    ];

    /// <summary>Forwarded and redirected rows and the direct rows they are compared with.</summary>
    private static readonly (string ThroughB, string Direct)[] Pairs =
    [
        ("fwd_seq_p50_us", "seq_p50_us"), ("fwd_seq_p99_us", "seq_p99_us"), ("fwd_c128_rps", "c128_rps"), ("fwd_stream_mbps", "stream_mbps"),
        ("rdr_seq_p50_us", "seq_p50_us"), ("rdr_seq_p99_us", "seq_p99_us"), ("rdr_c128_rps", "c128_rps"), ("rdr_stream_mbps", "stream_mbps"),
    ];

    [Fact]
    public async Task Smoke_run_prints_the_table_and_writes_valid_json()
    {
        string dll = typeof(BenchSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BenchDll").Value!;
        Assert.True(File.Exists(dll), $"bench not built at {dll}");
        string json = Path.Combine(Path.GetTempPath(), $"gatehouse-bench-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, stdout, stderr) = await RunAsync(dll, ["--smoke", "--json", json], TimeSpan.FromSeconds(180));
            Assert.True(exit == 0, $"exit {exit}\nstdout:\n{stdout}\nstderr:\n{stderr}");

            var tableLines = stdout.Split('\n').Where(l => l.StartsWith('|')).ToList();
            Assert.Contains("Gatehouse", tableLines[0]);
            Assert.Contains(">1 means Gatehouse is better", stdout);
            foreach (string title in RowTitles)
            {
                Assert.Contains(tableLines, l => l.StartsWith("| " + title + " ", StringComparison.Ordinal));
            }

            // The table of rows through member B: the 6 forwarded rows, then the 6 redirected ones
            // (NATS has no redirect: its cells there read n/a).
            int forwarding = tableLines.FindIndex(l => l.StartsWith("| through member B ", StringComparison.Ordinal) && l.Contains("Gatehouse via B/direct", StringComparison.Ordinal));
            Assert.True(forwarding > 0, stdout);
            var throughB = tableLines.Skip(forwarding + 2).TakeWhile(l => l.StartsWith("| forwarded", StringComparison.Ordinal) || l.StartsWith("| redirected", StringComparison.Ordinal) || l.StartsWith("| new client", StringComparison.Ordinal)).ToList();
            Assert.Equal(6, throughB.Count(l => l.StartsWith("| forwarded", StringComparison.Ordinal)));
            Assert.Equal(6, throughB.Count(l => !l.StartsWith("| forwarded", StringComparison.Ordinal)));

            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            var root = doc.RootElement;
            Assert.Equal("smoke", root.GetProperty("mode").GetString());
            var systems = root.GetProperty("systems").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();
            Assert.Equal(["gatehouse", "nats", "grpc", "remctld"], systems);
            Assert.True(root.GetProperty("systems")[0].GetProperty("available").GetBoolean());
            var rows = root.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(RowIds, rows.Select(r => r.GetProperty("id").GetString()));
            foreach (var row in rows)
            {
                Assert.Equal(JsonValueKind.Number, row.GetProperty("values").GetProperty("gatehouse").ValueKind);
                Assert.Equal(JsonValueKind.Object, row.GetProperty("ratios").ValueKind);
                Assert.False(string.IsNullOrEmpty(row.GetProperty("unit").GetString()));
                var cpu = row.GetProperty("cpu").GetProperty("gatehouse").EnumerateArray().Select(c => c.GetProperty("role").GetString()).ToList();

                // Forwarded and redirected rows also measure gateway B, last.
                string id = row.GetProperty("id").GetString()!;
                bool viaB = id.StartsWith("fwd_", StringComparison.Ordinal) || id.StartsWith("rdr_", StringComparison.Ordinal);
                Assert.Equal(viaB ? ["cl", "gw", "svc", "fwd"] : ["cl", "gw", "svc"], cpu);
            }

            JsonElement Row(string id) => rows.Single(r => r.GetProperty("id").GetString() == id);
            foreach (var (viaB, direct) in Pairs)
            {
                Assert.Equal(direct, Row(viaB).GetProperty("direct").GetString());
                Assert.Equal(JsonValueKind.Number, Row(viaB).GetProperty("vsDirect").GetProperty("gatehouse").ValueKind);
            }

            // Redirects are Gatehouse's alone: NATS (running, as its forwarded rows show) has no redirected figure.
            if (Row("fwd_seq_p50_us").GetProperty("values").GetProperty("nats").ValueKind == JsonValueKind.Number)
            {
                Assert.Equal(JsonValueKind.Null, Row("rdr_seq_p50_us").GetProperty("values").GetProperty("nats").ValueKind);
            }

            // The redirected rows' target is judged against the noise of the repetitions: one
            // repetition in smoke mode, so not judged (null), and said so.
            var sameAsDirect = Row("rdr_seq_p50_us").GetProperty("goal");
            Assert.Equal("vsDirectWithinNoise", sameAsDirect.GetProperty("of").GetString());
            Assert.Equal(JsonValueKind.Null, sameAsDirect.GetProperty("met").ValueKind);
            Assert.Contains("noise n/a: 1 repetition", root.GetProperty("forwardingTable").GetString());

            // The first-call figures are real, positive times (no timing is compared), and the
            // redirected scenarios ran without error: the runner fails them when a call of the
            // redirected domain reached the service forwarded by B, or one of the forwarded domain
            // reached it without B.
            Assert.True(Row("rdr_first_ms").GetProperty("values").GetProperty("gatehouse").GetDouble() > 0);
            Assert.True(Row("rdr_connect_ms").GetProperty("values").GetProperty("gatehouse").GetDouble() > 0);
            foreach (string scenario in (string[])["rdr_seq", "rdr_c128", "rdr_stream", "rdr_first"])
            {
                Assert.Equal(JsonValueKind.Null, root.GetProperty("scenarios").GetProperty("gatehouse").GetProperty(scenario).GetProperty("error").ValueKind);
            }

            Assert.Equal(JsonValueKind.Null, Row("seq_p50_us").GetProperty("direct").ValueKind);
            Assert.Equal(1.5, Row("fwd_seq_p50_us").GetProperty("goal").GetProperty("limit").GetDouble());
            Assert.Equal(0.6, Row("fwd_c128_rps").GetProperty("goal").GetProperty("limit").GetDouble());

            // The stalled stream was measured on the real forwarding gateway: its resting RSS is a
            // real process size, and the bound is two 1 MiB stream windows.
            Assert.Equal(2 * 1_048_576, root.GetProperty("settings").GetProperty("stallBoundBytes").GetInt64());
            var stall = root.GetProperty("scenarios").GetProperty("gatehouse").GetProperty("fwd_stall");
            Assert.Equal(JsonValueKind.Null, stall.GetProperty("error").ValueKind);
            Assert.True(stall.GetProperty("repetitions")[0].GetProperty("baselineMemoryMb").GetDouble() > 10);
            Assert.True(stall.GetProperty("repetitions")[0].GetProperty("bytes").GetInt64() > 0);

            // What the forwarding gateway held (read from A, not passed on) is a flow-control
            // property, not a timing: something, and never more than the two windows. (Null only
            // where `ss` is missing.)
            if (stall.GetProperty("repetitions")[0].GetProperty("heldBytes") is { ValueKind: JsonValueKind.Number } held)
            {
                Assert.InRange(held.GetInt64(), 1, 2 * 1_048_576);
            }

            // The idle-connections row measured a real, positive resident size of the gateway.
            Assert.True(Row("idle_rss_mb").GetProperty("values").GetProperty("gatehouse").GetDouble() > 10);
            Assert.Contains("| scenario", root.GetProperty("table").GetString());
            Assert.Contains("| through member B", root.GetProperty("forwardingTable").GetString());
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public async Task Interleaved_run_alternates_the_repetitions_of_the_direct_and_redirected_scenarios()
    {
        string dll = typeof(BenchSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BenchDll").Value!;
        var (exit, stdout, stderr) = await RunAsync(dll, ["--smoke", "--interleave", "--reps", "2", "--systems", "gatehouse", "--scenarios", "seq,rdr_seq,rdr_first"], TimeSpan.FromSeconds(120));
        Assert.True(exit == 0, $"exit {exit}\nstdout:\n{stdout}\nstderr:\n{stderr}");

        // Both paths were checked through gateway B before anything was measured.
        Assert.Contains("domain bench is forwarded and domain bench-redir redirected to A (checked)", stderr);
        var reps = System.Text.RegularExpressions.Regex.Matches(stderr, @"\[bench\] Gatehouse (\S+) rep (\d+):").Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}").ToList();
        Assert.Equal(["seq 1", "rdr_seq 1", "seq 2", "rdr_seq 2", "rdr_first 1", "rdr_first 2"], reps);
        Assert.Contains(stdout.Split('\n'), l => l.StartsWith("| redirected sequential 64 B echo p50 ", StringComparison.Ordinal) && l.Contains('x'));
    }

    [Fact]
    public async Task Unknown_scenario_is_refused_in_one_line_before_anything_starts()
    {
        string dll = typeof(BenchSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BenchDll").Value!;
        var (exit, stdout, stderr) = await RunAsync(dll, ["--smoke", "--scenarios", "seq,rdr_sq"], TimeSpan.FromSeconds(60));
        Assert.Equal(2, exit);
        Assert.StartsWith("unknown scenario rdr_sq\n", stderr.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("[bench]", stderr);
        Assert.Equal(string.Empty, stdout);
    }

    private static Task<(int Exit, string Stdout, string Stderr)> RunAsync(string dll, string[] args, TimeSpan timeout) =>
        Gatehouse.Bench.Processes.DotnetExec.RunAsync(dll, args, timeout);
}
