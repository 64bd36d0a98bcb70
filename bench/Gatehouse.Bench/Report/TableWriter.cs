using System.Globalization;
using System.Text;
using Gatehouse.Bench.Load;

namespace Gatehouse.Bench.Report;

/// <summary>
/// The one results table (Markdown, so it pastes into docs/performance.md): a row per figure, a
/// column per system, Gatehouse's ratio to each peer, then CPU per process as % of one core.
/// </summary>
public static class TableWriter
{
    /// <summary>The legend printed above the table.</summary>
    public const string Legend =
        "Ratios are Gatehouse relative to the peer, oriented so that >1 means Gatehouse is better: throughput gh/peer, latency peer/gh. " +
        "CPU columns: % of one core per process (CPU-seconds / wall seconds x 100) during that scenario; n/a = no natural equivalent or peer unavailable.";

    public static string Write(IReadOnlyList<SystemResult> systems)
    {
        var gh = systems.First(s => s.Id == "gatehouse");
        var peers = systems.Where(s => s.Id != "gatehouse").ToList();
        var header = new List<string> { "scenario", "unit", gh.Title };
        foreach (var p in peers)
        {
            header.Add(p.Title);
            header.Add($"gh/{p.Title}");
        }

        foreach (var s in systems)
        {
            header.Add($"CPU% {s.Title} {RoleHeader(s)}");
        }

        var rows = new List<List<string>>();
        foreach (var row in Row.All)
        {
            var cells = new List<string> { row.Title, row.Unit };
            double ghValue = Value(gh, row);
            cells.Add(Format(ghValue, row.Unit, Error(gh, row)));
            foreach (var p in peers)
            {
                double v = Value(p, row);
                cells.Add(Format(v, row.Unit, Error(p, row)));
                cells.Add(FormatRatio(row.HigherIsBetter ? ghValue / v : v / ghValue));
            }

            foreach (var s in systems)
            {
                cells.Add(Cpu(s, row));
            }

            rows.Add(cells);
        }

        return Render(header, rows);
    }

    /// <summary>The legend printed above the forwarding table.</summary>
    public const string ForwardingLegend =
        "Between members: each row through member B (forwarded: B passes the call on to A, where the service is; redirected: B answers see-other-host " +
        "naming A, the client follows and sends later calls of the command straight to A) next to the same figure with the client on A (direct), " +
        "and via B/direct = value through B / direct value (for latency, lower is better; for throughput, higher). " +
        "Redirected rows are measured after the redirect (the first call of each command is redirected during warm-up); the first call itself is " +
        "the last row. Only Gatehouse redirects. \"within noise\": |ratio - 1| at most the largest deviation of a repetition from its median " +
        "(this row's and the direct row's). Target met: Gatehouse only.";

    /// <summary>
    /// The forwarding table: per row measured through the second member (forwarded or
    /// redirected), for each system that has such rows, the direct figure
    /// (<see cref="Row.DirectId"/>), the figure through B and their ratio; then Gatehouse's target.
    /// </summary>
    public static string WriteForwarding(IReadOnlyList<SystemResult> systems)
    {
        var gh = systems.First(s => s.Id == "gatehouse");
        var between = Row.All.Where(r => Scenario.Find(r.ScenarioId).ThroughSecondMember).ToList();
        var forwarders = systems.Where(s => s.Id == "gatehouse" || between.Any(r => s.Scenarios.ContainsKey(r.ScenarioId))).ToList();
        var header = new List<string> { "through member B", "unit" };
        foreach (var s in forwarders)
        {
            header.AddRange([$"{s.Title} direct", $"{s.Title} via B", $"{s.Title} via B/direct"]);
        }

        header.AddRange(["target", "met"]);
        var rows = new List<List<string>>();
        foreach (var row in between)
        {
            var cells = new List<string> { row.Title, row.Unit };
            foreach (var s in forwarders)
            {
                if (!s.Scenarios.ContainsKey(row.ScenarioId))
                {
                    cells.AddRange(["n/a", "n/a", "n/a"]); // no equivalent (or not run)
                    continue;
                }

                double direct = row.DirectId is { } id ? Value(s, Row.Find(id)) : double.NaN;
                cells.Add(row.DirectId is { } d ? Format(direct, row.Unit, Error(s, Row.Find(d))) : "n/a");
                cells.Add(Format(Value(s, row), row.Unit, Error(s, row)));
                cells.Add(FormatRatio(VersusDirect(s, row)));
            }

            cells.Add(row.Goal is { } g ? g.Of == GoalOf.SameAsDirect ? $"{g.Text} ({FormatNoise(Noise(gh, row))})" : g.Text : string.Empty);
            cells.Add(row.Goal is { } goal ? goal.IsMet(GoalFigure(gh, row), Noise(gh, row)) switch { true => "yes", false => "no", null => "n/a" } : string.Empty);
            rows.Add(cells);
        }

        return Render(header, rows);
    }

    /// <summary>
    /// The noise a <see cref="GoalOf.SameAsDirect"/> goal allows: the largest relative deviation of
    /// one repetition from its scenario's median, among <paramref name="row"/>'s repetitions and its
    /// direct row's; NaN unless each has at least two.
    /// </summary>
    public static double Noise(SystemResult system, Row row)
    {
        double Spread(Row r)
        {
            if (!system.Scenarios.TryGetValue(r.ScenarioId, out var result) || result.Error is not null || result.Repetitions.Count < 2)
            {
                return double.NaN;
            }

            double median = result.Median(r.Extract);
            return result.Repetitions.Max(m => Math.Abs((r.Extract(m) / median) - 1));
        }

        return row.DirectId is { } id ? Math.Max(Spread(row), Spread(Row.Find(id))) : double.NaN;
    }

    private static string FormatNoise(double noise) =>
        double.IsFinite(noise) ? "±" + (noise * 100).ToString("0", CultureInfo.InvariantCulture) + " %" : "noise n/a: 1 repetition";

    /// <summary>A forwarded row's figure over the same figure measured directly (NaN when either is missing).</summary>
    public static double VersusDirect(SystemResult system, Row row) =>
        row.DirectId is { } id ? Value(system, row) / Value(system, Row.Find(id)) : double.NaN;

    /// <summary>What <paramref name="row"/>'s goal is checked against for <paramref name="system"/>.</summary>
    public static double GoalFigure(SystemResult system, Row row) =>
        row.Goal?.Of is GoalOf.RatioToDirect or GoalOf.SameAsDirect ? VersusDirect(system, row) : Value(system, row);

    private static string FormatRatio(double ratio) =>
        double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "n/a";

    /// <summary>
    /// The system's roles as the CPU column lists them; roles that only some scenarios measure (the
    /// forwarding member, <c>fwd</c>) follow in parentheses: <c>cl/gw/svc(/fwd)</c>.
    /// </summary>
    private static string RoleHeader(SystemResult system)
    {
        var extra = system.Scenarios.Values.SelectMany(r => r.Cpu.Select(c => c.Role)).Where(role => !system.Roles.Contains(role)).Distinct().ToList();
        string roles = string.Join('/', system.Roles);
        return extra.Count == 0 ? roles : $"{roles}(/{string.Join('/', extra)})";
    }

    /// <summary>The row's figure for one system (median over repetitions), NaN when absent.</summary>
    public static double Value(SystemResult system, Row row) =>
        system.Scenarios.TryGetValue(row.ScenarioId, out var r) ? r.Median(row.Extract) : double.NaN;

    private static string? Error(SystemResult system, Row row) =>
        system.Scenarios.TryGetValue(row.ScenarioId, out var r) ? r.Error : null;

    private static string Cpu(SystemResult system, Row row)
    {
        if (!system.Scenarios.TryGetValue(row.ScenarioId, out var r) || r.Cpu.Count == 0)
        {
            return "n/a";
        }

        return string.Join('/', r.Cpu.Select(c => double.IsFinite(c.PercentOfCore) ? c.PercentOfCore.ToString("0", CultureInfo.InvariantCulture) : "?"));
    }

    private static string Format(double value, string unit, string? error)
    {
        if (error is not null)
        {
            return "error";
        }

        if (!double.IsFinite(value))
        {
            return "n/a";
        }

        return unit switch
        {
            "µs" => value.ToString(value >= 100 ? "N0" : "0.0", CultureInfo.InvariantCulture),
            "ms" => value.ToString(value >= 100 ? "N0" : "0.00", CultureInfo.InvariantCulture),
            "MB/s" => value.ToString("N1", CultureInfo.InvariantCulture),
            "MiB" when Math.Abs(value) < 10 => value.ToString("0.00", CultureInfo.InvariantCulture),
            _ => value.ToString("N0", CultureInfo.InvariantCulture),
        };
    }

    private static string Render(List<string> header, List<List<string>> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(IReadOnlyList<string> cells)
        {
            sb.Append('|');
            for (int i = 0; i < cells.Count; i++)
            {
                string cell = i < 2 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]);
                sb.Append(' ').Append(cell).Append(" |");
            }

            sb.Append('\n');
        }

        Line(header);
        sb.Append('|');
        for (int i = 0; i < widths.Length; i++)
        {
            sb.Append(i < 2 ? " :" : " ").Append(new string('-', widths[i] - 1)).Append(i < 2 ? " |" : ": |");
        }

        sb.Append('\n');
        rows.ForEach(Line);
        return sb.ToString();
    }
}
