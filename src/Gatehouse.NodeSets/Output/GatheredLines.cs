namespace Gatehouse.NodeSets;

/// <summary>
/// Line-by-line gathering (clush <c>-bL</c>): the first lines of every node are compared, nodes with
/// the same line are printed as one <c>nodes: line</c>, then the second lines, and so on.
/// </summary>
/// <remarks>
/// Within one line number, larger node sets come first, then by first node. A node with fewer lines
/// simply drops out of the later ones. Lines are split and decoded as in <see cref="LinePrefixOutput"/>.
/// <code>
/// n[1-4]: same
/// n[8-10]: three
/// n[5,7]: other
/// n[8-10]: line2
/// </code>
/// </remarks>
public static class GatheredLines
{
    /// <summary>Writes the gathered lines of <paramref name="results"/>.</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="results">One result per node.</param>
    /// <param name="streams">Which streams make up each node's lines (stdout then stderr).</param>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static void Write(TextWriter writer, IEnumerable<NodeResult> results, OutputStreams streams = OutputStreams.Stdout)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(results);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lines = new List<(string Node, List<string> Lines)>();
        foreach (NodeResult result in results)
        {
            if (!seen.Add(result.Node))
            {
                throw new ArgumentException($"More than one result for node \"{result.Node}\".", nameof(results));
            }

            lines.Add((result.Node, LineSplitter.Split(GatheredOutput.Select(result, streams))));
        }

        int longest = lines.Count == 0 ? 0 : lines.Max(l => l.Lines.Count);
        for (int index = 0; index < longest; index++)
        {
            var byLine = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var (node, nodeLines) in lines)
            {
                if (index < nodeLines.Count)
                {
                    if (!byLine.TryGetValue(nodeLines[index], out var nodes))
                    {
                        nodes = [];
                        byLine.Add(nodeLines[index], nodes);
                    }

                    nodes.Add(node);
                }
            }

            foreach (var (line, nodes) in byLine
                .Select(pair => (pair.Key, Nodes: NodeSet.FromNodes(pair.Value)))
                .OrderByDescending(g => g.Nodes.Count)
                .ThenBy(g => g.Nodes[0], NaturalComparer.Instance))
            {
                LinePrefixOutput.WriteLine(writer, nodes.Fold(), line);
            }
        }
    }

    /// <summary>Renders the gathered lines as a string.</summary>
    /// <returns>The lines; empty when no node printed anything.</returns>
    public static string Render(IEnumerable<NodeResult> results, OutputStreams streams = OutputStreams.Stdout)
    {
        using var writer = new StringWriter();
        Write(writer, results, streams);
        return writer.ToString();
    }
}
