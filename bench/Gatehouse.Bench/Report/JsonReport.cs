using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Bench.Load;

namespace Gatehouse.Bench.Report;

/// <summary>
/// The same results as JSON. Shape: <c>{ mode, machine, settings (interleaved: the repetitions of
/// direct and through-B scenarios alternated), systems: [{id, title, roles,
/// available, reason}], rows: [{id, title, unit, higherIsBetter, values: {system: number|null},
/// ratios: {peer: number|null}, cpu: {system: [{role, seconds, percentOfCore}]}, direct,
/// vsDirect: {system: number|null}|null, goal: {of, limit, atMost, noise, text, met}|null}], scenarios:
/// {system: {scenario: {error, repetitions: [{operations, bytes, seconds, samples,
/// serverMemoryMb, baselineMemoryMb, heldBytes}]}}}, table, forwardingTable }</c>. <c>direct</c> names the row
/// a forwarded or redirected row is compared with (null for the others); <c>vsDirect</c> is that
/// row's value / the direct value. A goal's <c>of</c>: <c>vsDirect</c> (a limit on the ratio),
/// <c>value</c>, or <c>vsDirectWithinNoise</c> (|ratio - 1| at most <c>noise</c>).
/// </summary>
public static class JsonReport
{
    public static string Write(string mode, LoadSettings settings, bool interleaved, IReadOnlyList<SystemResult> systems, string table, string forwardingTable, IReadOnlyDictionary<string, string> machine)
    {
        var gh = systems.First(s => s.Id == "gatehouse");
        var root = new JsonObject
        {
            ["mode"] = mode,
            ["machine"] = new JsonObject(machine.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["settings"] = new JsonObject
            {
                ["warmupSeconds"] = settings.Warmup.TotalSeconds,
                ["durationSeconds"] = settings.Duration.TotalSeconds,
                ["sequentialCount"] = settings.SequentialCount,
                ["streamBytes"] = settings.StreamBytes,
                ["repetitions"] = settings.Repetitions,
                ["interleaved"] = interleaved,
                ["stallHoldSeconds"] = settings.StallHold.TotalSeconds,
                ["stallBoundBytes"] = Row.StallBoundBytes,
                ["loadGenerator"] = "runner process (in-process closed loop) for Gatehouse, NATS and gRPC; separate python3 process for remctld",
            },
            ["systems"] = new JsonArray([.. systems.Select(s => (JsonNode)new JsonObject
            {
                ["id"] = s.Id,
                ["title"] = s.Title,
                ["roles"] = new JsonArray([.. s.Roles.Select(r => (JsonNode)JsonValue.Create(r))]),
                ["available"] = s.Unavailable is null,
                ["reason"] = s.Unavailable,
            })]),
        };

        var rows = new JsonArray();
        foreach (var row in Row.All)
        {
            var values = new JsonObject();
            var ratios = new JsonObject();
            var cpu = new JsonObject();
            double ghValue = TableWriter.Value(gh, row);
            foreach (var s in systems)
            {
                double v = TableWriter.Value(s, row);
                values[s.Id] = Number(v);
                if (s.Id != "gatehouse")
                {
                    ratios[s.Id] = Number(row.HigherIsBetter ? ghValue / v : v / ghValue);
                }

                cpu[s.Id] = s.Scenarios.TryGetValue(row.ScenarioId, out var r)
                    ? new JsonArray([.. r.Cpu.Select(c => (JsonNode)new JsonObject
                    {
                        ["role"] = c.Role,
                        ["seconds"] = Number(c.Seconds),
                        ["percentOfCore"] = Number(c.PercentOfCore),
                    })])
                    : null;
            }

            rows.Add(new JsonObject
            {
                ["id"] = row.Id,
                ["title"] = row.Title,
                ["unit"] = row.Unit,
                ["higherIsBetter"] = row.HigherIsBetter,
                ["values"] = values,
                ["ratios"] = ratios,
                ["cpu"] = cpu,
                ["direct"] = row.DirectId,
                ["vsDirect"] = row.DirectId is null ? null : new JsonObject(systems.Select(s => KeyValuePair.Create(s.Id, (JsonNode?)Number(TableWriter.VersusDirect(s, row))))),
                ["goal"] = row.Goal is not { } goal ? null : new JsonObject
                {
                    ["of"] = goal.Of switch { GoalOf.RatioToDirect => "vsDirect", GoalOf.SameAsDirect => "vsDirectWithinNoise", _ => "value" },
                    ["limit"] = goal.Limit,
                    ["atMost"] = goal.AtMost,
                    ["noise"] = goal.Of == GoalOf.SameAsDirect ? Number(TableWriter.Noise(gh, row)) : null,
                    ["text"] = goal.Text,
                    ["met"] = goal.IsMet(TableWriter.GoalFigure(gh, row), TableWriter.Noise(gh, row)),
                },
            });
        }

        root["rows"] = rows;
        var scenarios = new JsonObject();
        foreach (var s in systems)
        {
            var perSystem = new JsonObject();
            foreach (var (id, r) in s.Scenarios)
            {
                perSystem[id] = new JsonObject
                {
                    ["error"] = r.Error,
                    ["repetitions"] = new JsonArray([.. r.Repetitions.Select(m => (JsonNode)new JsonObject
                    {
                        ["operations"] = m.Operations,
                        ["bytes"] = m.Bytes,
                        ["seconds"] = m.Elapsed.TotalSeconds,
                        ["samples"] = m.LatenciesUs?.Length,
                        ["serverMemoryMb"] = m.ServerMemoryMb is { } rss ? Number(rss) : null,
                        ["baselineMemoryMb"] = m.BaselineMemoryMb is { } idle ? Number(idle) : null,
                        ["heldBytes"] = m.HeldBytes,
                    })]),
                };
            }

            scenarios[s.Id] = perSystem;
        }

        root["scenarios"] = scenarios;
        root["table"] = table;
        root["forwardingTable"] = forwardingTable;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonValue? Number(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 3)) : null;
}
