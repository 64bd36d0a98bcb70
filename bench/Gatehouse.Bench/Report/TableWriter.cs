using System.Globalization;
using System.Text;

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
            header.Add($"CPU% {s.Title} {string.Join('/', s.Roles)}");
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
                double ratio = row.HigherIsBetter ? ghValue / v : v / ghValue;
                cells.Add(double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "n/a");
            }

            foreach (var s in systems)
            {
                cells.Add(Cpu(s, row));
            }

            rows.Add(cells);
        }

        return Render(header, rows);
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
            "MB/s" => value.ToString("N1", CultureInfo.InvariantCulture),
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
