using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gatehouse.Cluster.Soak.Report;

/// <summary>The figures of one run, printed as a table and written as JSON.</summary>
internal sealed class SoakReport
{
    public List<Figure> Figures { get; } = [];

    /// <summary>Per-phase details (samples, counts) for the JSON.</summary>
    public JsonObject Details { get; } = [];

    public void Add(Figure f) => Figures.Add(f);

    public string Table()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| figure | measured | target | result |");
        sb.AppendLine("| --- | --- | --- | --- |");
        foreach (var f in Figures)
        {
            string value = f.Value is { } v ? Format(v, f.Unit) : "n/a";
            string note = f.Note is null ? string.Empty : $" ({f.Note})";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {f.Title} | {value}{note} | {f.TargetText ?? string.Empty} | {f.Verdict} |");
        }

        return sb.ToString();
    }

    private static string Format(double v, string unit) => unit switch
    {
        "s" => v.ToString("0.00", CultureInfo.InvariantCulture) + " s",
        "B/s" => v.ToString("0", CultureInfo.InvariantCulture) + " B/s",
        "count" => v.ToString("0", CultureInfo.InvariantCulture),
        "%" => v.ToString("0.0", CultureInfo.InvariantCulture) + " %",
        "/s" => v.ToString("0.0", CultureInfo.InvariantCulture) + "/s",
        _ => v.ToString("0.###", CultureInfo.InvariantCulture) + " " + unit,
    };

    public string Json(JsonObject header)
    {
        var root = new JsonObject();
        foreach (var (k, v) in header)
        {
            root[k] = v?.DeepClone();
        }

        var rows = new JsonArray();
        foreach (var f in Figures)
        {
            rows.Add(new JsonObject
            {
                ["id"] = f.Id,
                ["title"] = f.Title,
                ["value"] = f.Value is { } v ? JsonValue.Create(Math.Round(v, 4)) : null,
                ["unit"] = f.Unit,
                ["target"] = f.Target is { } t ? JsonValue.Create(t) : null,
                ["pass"] = f.Pass is { } p ? JsonValue.Create(p) : null,
                ["note"] = f.Note,
            });
        }

        root["rows"] = rows;
        root["details"] = Details.DeepClone();
        root["table"] = Table();
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
