namespace Gatehouse.NodeSets;

/// <summary>
/// Gathers per-node output like <c>clush -b</c>: nodes whose output is byte-for-byte identical are
/// merged under one folded header.
/// </summary>
/// <remarks>
/// Layout of each block (lines end with <c>\n</c> on every platform):
/// <code>
/// ---------------
/// node[1-3,7] (4)
/// ---------------
/// the shared output, line by line
/// </code>
/// Blocks follow each other with no blank line, ordered by the natural order of each block's first
/// node. Nodes with no output in the gathered streams get no block. Output lines are split and
/// decoded as in <see cref="LinePrefixOutput"/> (<c>\r\n</c> becomes <c>\n</c>; a missing final
/// newline is added).
/// </remarks>
public static class GatheredOutput
{
    /// <summary>Groups nodes by identical output.</summary>
    /// <param name="results">One result per node.</param>
    /// <param name="streams">Which streams to compare and keep; for <see cref="OutputStreams.Both"/>, stdout then stderr (a newline is inserted between them if stdout lacks a final one).</param>
    /// <returns>The groups in the natural order of their first node; nodes with empty output are left out.</returns>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static IReadOnlyList<OutputGroup> Gather(IEnumerable<NodeResult> results, OutputStreams streams = OutputStreams.Stdout)
    {
        ArgumentNullException.ThrowIfNull(results);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var byOutput = new Dictionary<byte[], List<string>>(ByteArrayComparer.Instance);
        foreach (NodeResult result in results)
        {
            if (!seen.Add(result.Node))
            {
                throw new ArgumentException($"More than one result for node \"{result.Node}\".", nameof(results));
            }

            byte[] output = Select(result, streams);
            if (output.Length == 0)
            {
                continue;
            }

            if (!byOutput.TryGetValue(output, out List<string>? nodes))
            {
                nodes = [];
                byOutput.Add(output, nodes);
            }

            nodes.Add(result.Node);
        }

        return byOutput
            .Select(pair => new OutputGroup(NodeSet.FromNodes(pair.Value), pair.Key))
            .OrderBy(group => group.Nodes[0], NaturalComparer.Instance)
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
            writer.Write(group.Nodes.Fold());
            if (options.ShowNodeCount)
            {
                writer.Write(" (");
                writer.Write(group.Nodes.Count);
                writer.Write(')');
            }

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

    private static byte[] Select(NodeResult result, OutputStreams streams)
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

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static ByteArrayComparer Instance { get; } = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
