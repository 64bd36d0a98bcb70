namespace Gatehouse.NodeSets;

/// <summary>Nodes that ended with the same status.</summary>
/// <param name="Nodes">The nodes, never empty.</param>
/// <param name="Status">The shared <see cref="NodeResult.StatusText"/>, e.g. <c>exit 0</c>.</param>
public sealed record StatusGroup(NodeSet Nodes, string Status);

/// <summary>
/// Summarises how every node ended, one line per distinct status with the nodes folded:
/// <code>
/// node[1-19]: exit 0
/// node20: exit 3
/// node[21-22]: error: connection timed out
/// </code>
/// Lines are ordered by the natural order of each group's first node and end with <c>\n</c>.
/// </summary>
public static class StatusSummary
{
    /// <summary>Groups nodes by identical <see cref="NodeResult.StatusText"/>.</summary>
    /// <param name="results">One result per node.</param>
    /// <param name="includeSuccess">When false, nodes that exited 0 are left out (clush only reports failures).</param>
    /// <returns>The groups in the natural order of their first node.</returns>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static IReadOnlyList<StatusGroup> Group(IEnumerable<NodeResult> results, bool includeSuccess = true)
    {
        ArgumentNullException.ThrowIfNull(results);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var byStatus = new Dictionary<string, List<string>>(StringComparer.Ordinal);
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
            if (!byStatus.TryGetValue(status, out List<string>? nodes))
            {
                nodes = [];
                byStatus.Add(status, nodes);
            }

            nodes.Add(result.Node);
        }

        return byStatus
            .Select(pair => new StatusGroup(NodeSet.FromNodes(pair.Value), pair.Key))
            .OrderBy(group => group.Nodes[0], NaturalComparer.Instance)
            .ToList();
    }

    /// <summary>Writes one <c>nodes: status</c> line per group.</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="results">One result per node.</param>
    /// <param name="includeSuccess">When false, nodes that exited 0 are left out.</param>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static void Write(TextWriter writer, IEnumerable<NodeResult> results, bool includeSuccess = true)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (StatusGroup group in Group(results, includeSuccess))
        {
            writer.Write(group.Nodes.Fold());
            writer.Write(": ");
            writer.Write(group.Status);
            writer.Write('\n');
        }
    }

    /// <summary>Renders the summary as a string.</summary>
    /// <returns>The lines; empty when there is nothing to report.</returns>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static string Render(IEnumerable<NodeResult> results, bool includeSuccess = true)
    {
        using var writer = new StringWriter();
        Write(writer, results, includeSuccess);
        return writer.ToString();
    }
}
