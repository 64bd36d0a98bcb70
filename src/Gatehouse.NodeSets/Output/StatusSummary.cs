namespace Gatehouse.NodeSets;

/// <summary>Nodes that ended with the same status.</summary>
/// <param name="Nodes">The nodes, never empty.</param>
/// <param name="Status">The shared <see cref="NodeResult.StatusText"/>, e.g. <c>exit 0</c>.</param>
public sealed record StatusGroup(NodeSet Nodes, string Status);

/// <summary>
/// Says how nodes ended, as clush does on stderr: one line per distinct status, nodes folded, the
/// count shown for more than one node:
/// <code>
/// clush: node20: exited with exit code 3
/// clush: node[21-22] (2): connection timed out
/// </code>
/// Nodes that exited 0 are not reported. Lines come in status order (exit statuses, lowest first,
/// then errors by their text) and end with <c>\n</c>.
/// </summary>
public static class StatusSummary
{
    /// <summary>Groups nodes by identical <see cref="NodeResult.StatusText"/>.</summary>
    /// <param name="results">One result per node.</param>
    /// <param name="includeSuccess">When false, nodes that exited 0 are left out (clush only reports failures).</param>
    /// <returns>The groups in status order (exit statuses ascending, then errors by text).</returns>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static IReadOnlyList<StatusGroup> Group(IEnumerable<NodeResult> results, bool includeSuccess = true)
    {
        ArgumentNullException.ThrowIfNull(results);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var byStatus = new Dictionary<string, (NodeResult First, List<string> Nodes)>(StringComparer.Ordinal);
        foreach (NodeResult result in results)
        {
            if (!seen.Add(result.Node))
            {
                throw new ArgumentException($"More than one result for node \"{result.Node}\".", nameof(results));
            }

            if (!includeSuccess && result.ExitCode == 0)
            {
                continue;
            }

            string status = result.StatusText;
            if (!byStatus.TryGetValue(status, out var entry))
            {
                entry = (result, []);
                byStatus.Add(status, entry);
            }

            entry.Nodes.Add(result.Node);
        }

        return byStatus
            .OrderBy(pair => pair.Value.First, StatusOrder.Instance)
            .Select(pair => new StatusGroup(NodeSet.FromNodes(pair.Value.Nodes), pair.Key))
            .ToList();
    }

    /// <summary>Writes one <c>program: nodes: status</c> line per status other than exit 0.</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="results">One result per node.</param>
    /// <param name="program">The name the lines start with, e.g. <c>gatehouse</c>.</param>
    /// <param name="showNodeCount">Whether a group of more than one node shows its count (false: as <c>clush -q</c>).</param>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static void Write(TextWriter writer, IEnumerable<NodeResult> results, string program, bool showNodeCount = true)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(program);
        foreach (StatusGroup group in Group(results, includeSuccess: false))
        {
            writer.Write(program);
            writer.Write(": ");
            writer.Write(GatheredOutput.Label(group.Nodes, showNodeCount));
            writer.Write(": ");
            writer.Write(Describe(group.Status));
            writer.Write('\n');
        }
    }

    /// <summary>Renders the summary as a string.</summary>
    /// <returns>The lines; empty when every node exited 0.</returns>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static string Render(IEnumerable<NodeResult> results, string program, bool showNodeCount = true)
    {
        using var writer = new StringWriter();
        Write(writer, results, program, showNodeCount);
        return writer.ToString();
    }

    /// <summary><c>exit 3</c> reads <c>exited with exit code 3</c>; an error reads as its text.</summary>
    private static string Describe(string status) =>
        status.StartsWith(NodeResult.ExitPrefix, StringComparison.Ordinal)
            ? "exited with exit code " + status[NodeResult.ExitPrefix.Length..]
            : status[NodeResult.ErrorPrefix.Length..];
}
