using System.Text;
using System.Text.Json;
using Gatehouse.NodeSets;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// What a fan-out prints at the end and the status it exits with (docs/cli.md, "Calling many
/// nodes"): the gathered view of the chosen mode on stdout, then on stderr one line per distinct
/// failure with its nodes folded (<c>gatehouse: n[4,7] (2): exited with exit code 3</c>) and one
/// line for skipped nodes.
/// </summary>
internal static class FanoutReport
{
    public static void Write(TextWriter stdout, TextWriter stderr, IEnumerable<NodeOutcome> outcomes, IReadOnlyDictionary<string, NodeOutput> outputs, FanoutSettings settings)
    {
        var called = outcomes.Where(o => o.Kind != OutcomeKind.Skipped).ToList();
        var results = called.Select(o => ToResult(o, outputs.GetValueOrDefault(o.Node))).ToList();
        var gather = new GatherOptions { Streams = settings.GatherStderr ? OutputStreams.Both : OutputStreams.Stdout, ShowNodeCount = !settings.Quiet };
        switch (settings.Mode)
        {
            case OutputMode.Gather:
                GatheredOutput.Write(stdout, results, gather);
                break;
            case OutputMode.Lines:
                LinePrefixOutput.WriteAll(stdout, results, gather.Streams);
                break;
            case OutputMode.GatherLines:
                GatheredLines.Write(stdout, results, gather.Streams);
                break;
            case OutputMode.Diff:
                DiffOutput.Write(stdout, results, gather);
                break;
            case OutputMode.Json:
                WriteJson(stdout, outcomes, outputs);
                break;
        }

        StatusSummary.Write(stderr, results, FanoutSettings.Program, showNodeCount: !settings.Quiet);
        foreach (var group in outcomes.Where(o => o.Kind == OutcomeKind.Skipped).GroupBy(o => o.Message))
        {
            var skipped = NodeSet.FromNodes(group.Select(o => o.Node));
            string label = !settings.Quiet && skipped.Count > 1 ? $"{skipped} ({skipped.Count})" : skipped.ToString();
            stderr.Write($"{FanoutSettings.Program}: {label}: skipped: {group.Key}\n");
        }
    }

    /// <summary>
    /// 130 when interrupted. With <c>-S</c>: the largest node status (remote exit status, an error's
    /// code, 255 for a node not reached). Otherwise: 255 when some node was not reached, 1 when some
    /// node exited non-zero or answered an error, else 0. Skipped nodes do not count.
    /// </summary>
    public static int ExitStatus(IEnumerable<NodeOutcome> outcomes, bool maxStatus)
    {
        var counted = outcomes.Where(o => o.Kind != OutcomeKind.Skipped).ToList();
        if (counted.Exists(o => o.Kind == OutcomeKind.Interrupted))
        {
            return ExitCodes.Interrupted;
        }

        if (maxStatus)
        {
            return counted.Count == 0 ? 0 : counted.Max(o => o.Status);
        }

        if (counted.Exists(o => o.Kind == OutcomeKind.NotConnected))
        {
            return ExitCodes.ConnectionFailed;
        }

        return counted.Exists(o => o.Status != 0) ? 1 : 0;
    }

    private static NodeResult ToResult(NodeOutcome outcome, NodeOutput? output)
    {
        var stdout = output?.Stdout ?? default;
        var stderr = output?.Stderr ?? default;
        return outcome.Kind == OutcomeKind.Exited
            ? NodeResult.Exited(outcome.Node, outcome.Status, stdout, stderr)
            : NodeResult.Failed(outcome.Node, outcome.Message ?? outcome.Kind.ToString(), stdout, stderr);
    }

    /// <summary>One object per node and line, in node order: node, exitCode (null when none), error (null when it exited), stdout, stderr, durationSeconds, truncated (output past --gather-limit was not kept).</summary>
    private static void WriteJson(TextWriter stdout, IEnumerable<NodeOutcome> outcomes, IReadOnlyDictionary<string, NodeOutput> outputs)
    {
        var utf8 = new UTF8Encoding(false, false);
        using var buffer = new MemoryStream();
        foreach (var outcome in outcomes.OrderBy(o => o.Node, NaturalComparer.Instance))
        {
            buffer.SetLength(0);
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                var output = outputs.GetValueOrDefault(outcome.Node);
                json.WriteStartObject();
                json.WriteString("node", outcome.Node);
                if (outcome.ExitCode is { } code)
                {
                    json.WriteNumber("exitCode", code);
                    json.WriteNull("error");
                }
                else
                {
                    json.WriteNull("exitCode");
                    json.WriteString("error", outcome.Kind == OutcomeKind.Skipped ? "skipped: " + outcome.Message : outcome.Message);
                }

                json.WriteString("stdout", output is null ? string.Empty : utf8.GetString(output.Stdout.Span));
                json.WriteString("stderr", output is null ? string.Empty : utf8.GetString(output.Stderr.Span));
                json.WriteNumber("durationSeconds", Math.Round(outcome.Duration.TotalSeconds, 3));
                json.WriteBoolean("truncated", output?.Truncated ?? false);
                json.WriteEndObject();
            }

            stdout.Write(utf8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
            stdout.Write('\n');
        }
    }
}
