namespace Gatehouse.NodeSets;

/// <summary>
/// Gathers per-node output like <c>clush -b</c>: nodes that ended with the same status and whose
/// output is byte-for-byte identical are merged under one folded header.
/// </summary>
/// <remarks>
/// Layout of each block (lines end with <c>\n</c> on every platform):
/// <code>
/// ---------------
/// node[1-3,7] (4)
/// ---------------
/// the shared output, line by line
/// </code>
/// The count is shown only for more than one node (a single node's header is just its name), as clush
/// does. Blocks follow each other with no blank line, in clush's order: by status (exit 0 first, then
/// higher exit statuses, then errors), then larger node sets first, then by first node. Nodes with the
/// same output but another exit status get a block of their own, so a failing node never hides among
/// good ones. Nodes with no output in the gathered streams get no block. Output lines are split and
/// decoded as in <see cref="LinePrefixOutput"/> (<c>\r\n</c> becomes <c>\n</c>; a missing final
/// newline is added).
/// </remarks>
public static class GatheredOutput
{
    /// <summary>Groups nodes by status and identical output.</summary>
    /// <param name="results">One result per node.</param>
    /// <param name="streams">Which streams to compare and keep; for <see cref="OutputStreams.Both"/>, stdout then stderr (a newline is inserted between them if stdout lacks a final one).</param>
    /// <returns>The groups in clush's order (status, then larger sets, then first node); nodes with empty output are left out.</returns>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static IReadOnlyList<OutputGroup> Gather(IEnumerable<NodeResult> results, OutputStreams streams = OutputStreams.Stdout) =>
        Gather(results, streams, includeEmpty: false);

    /// <summary>Groups nodes; with <paramref name="includeEmpty"/>, nodes without output form groups too.</summary>
    internal static IReadOnlyList<OutputGroup> Gather(IEnumerable<NodeResult> results, OutputStreams streams, bool includeEmpty)
    {
        ArgumentNullException.ThrowIfNull(results);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var groups = new Dictionary<(string Status, byte[] Output), (NodeResult First, List<string> Nodes)>(KeyComparer.Instance);
        foreach (NodeResult result in results)
        {
            if (!seen.Add(result.Node))
            {
                throw new ArgumentException($"More than one result for node \"{result.Node}\".", nameof(results));
            }

            byte[] output = Select(result, streams);
            if (output.Length == 0 && !includeEmpty)
            {
                continue;
            }

            var key = (result.StatusText, output);
            if (!groups.TryGetValue(key, out var entry))
            {
                entry = (result, []);
                groups.Add(key, entry);
            }

            entry.Nodes.Add(result.Node);
        }

        return groups
            .Select(pair => (pair.Value.First, Group: new OutputGroup(NodeSet.FromNodes(pair.Value.Nodes), pair.Key.Output, pair.Key.Status)))
            .OrderBy(g => g.First, StatusOrder.Instance)
            .ThenByDescending(g => g.Group.Nodes.Count)
            .ThenBy(g => g.Group.Nodes[0], NaturalComparer.Instance)
            .Select(g => g.Group)
            .ToList();
    }

    /// <summary>Writes the gathered blocks of <paramref name="results"/> to <paramref name="writer"/>.</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="results">One result per node.</param>
    /// <param name="options">Streams and header style; <see cref="GatherOptions.Default"/> when null.</param>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static void Write(TextWriter writer, IEnumerable<NodeResult> results, GatherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        options ??= GatherOptions.Default;
        Write(writer, Gather(results, options.Streams), options);
    }

    /// <summary>Writes already gathered groups to <paramref name="writer"/>.</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="groups">Groups, written in the order given.</param>
    /// <param name="options">Header style; <see cref="GatherOptions.Default"/> when null.</param>
    public static void Write(TextWriter writer, IEnumerable<OutputGroup> groups, GatherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(groups);
        options ??= GatherOptions.Default;
        string separator = new('-', options.SeparatorWidth);
        foreach (OutputGroup group in groups)
        {
            writer.Write(separator);
            writer.Write('\n');
            writer.Write(Label(group.Nodes, options.ShowNodeCount));
            writer.Write('\n');
            writer.Write(separator);
            writer.Write('\n');
            foreach (string line in LineSplitter.Split(group.Output.Span))
            {
                writer.Write(line);
                writer.Write('\n');
            }
        }
    }

    /// <summary>Renders the gathered blocks of <paramref name="results"/> as a string.</summary>
    /// <returns>The text; empty when no node produced output.</returns>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static string Render(IEnumerable<NodeResult> results, GatherOptions? options = null)
    {
        using var writer = new StringWriter();
        Write(writer, results, options);
        return writer.ToString();
    }

    /// <summary>The folded set, with <c> (N)</c> when it has more than one node and counts are shown.</summary>
    internal static string Label(NodeSet nodes, bool showCount) =>
        showCount && nodes.Count > 1 ? $"{nodes.Fold()} ({nodes.Count})" : nodes.Fold();

    internal static byte[] Select(NodeResult result, OutputStreams streams)
    {
        ReadOnlySpan<byte> stdout = (streams & OutputStreams.Stdout) != 0 ? result.Stdout.Span : [];
        ReadOnlySpan<byte> stderr = (streams & OutputStreams.Stderr) != 0 ? result.Stderr.Span : [];
        bool joinNewline = !stdout.IsEmpty && !stderr.IsEmpty && stdout[^1] != (byte)'\n';
        byte[] output = new byte[stdout.Length + (joinNewline ? 1 : 0) + stderr.Length];
        stdout.CopyTo(output);
        if (joinNewline)
        {
            output[stdout.Length] = (byte)'\n';
        }

        stderr.CopyTo(output.AsSpan(output.Length - stderr.Length));
        return output;
    }

    private sealed class KeyComparer : IEqualityComparer<(string Status, byte[] Output)>
    {
        public static KeyComparer Instance { get; } = new();

        public bool Equals((string Status, byte[] Output) x, (string Status, byte[] Output) y) =>
            string.Equals(x.Status, y.Status, StringComparison.Ordinal) && x.Output.AsSpan().SequenceEqual(y.Output);

        public int GetHashCode((string Status, byte[] Output) obj)
        {
            var hash = new HashCode();
            hash.Add(obj.Status, StringComparer.Ordinal);
            hash.AddBytes(obj.Output);
            return hash.ToHashCode();
        }
    }
}
