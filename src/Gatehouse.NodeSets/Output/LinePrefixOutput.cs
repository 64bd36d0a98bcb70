namespace Gatehouse.NodeSets;

/// <summary>
/// The non-gathered mode: every output line prefixed with its node, <c>node3: line</c>, as clush
/// prints without <c>-b</c>.
/// </summary>
/// <remarks>
/// <c>\n</c> ends a line and a <c>\r</c> just before it is dropped; a final line without a newline
/// is still printed (and given one); empty output prints nothing; an empty line prints
/// <c>node3: </c>. Bytes are decoded as UTF-8 (invalid sequences become U+FFFD). Lines end with
/// <c>\n</c> on every platform. For output arriving in chunks use <see cref="LinePrefixWriter"/>.
/// </remarks>
public static class LinePrefixOutput
{
    /// <summary>The text between node name and line.</summary>
    public const string Separator = ": ";

    /// <summary>Writes each line of <paramref name="output"/> as <c>node: line</c>.</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="node">The node name.</param>
    /// <param name="output">The node's output bytes.</param>
    public static void Write(TextWriter writer, string node, ReadOnlySpan<byte> output)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        foreach (string line in LineSplitter.Split(output))
        {
            WriteLine(writer, node, line);
        }
    }

    /// <summary>Renders each line of <paramref name="output"/> as <c>node: line</c>.</summary>
    /// <returns>The prefixed lines; empty for empty output.</returns>
    public static string Render(string node, ReadOnlySpan<byte> output)
    {
        using var writer = new StringWriter();
        Write(writer, node, output);
        return writer.ToString();
    }

    /// <summary>
    /// Writes the output of every node, node after node (clush <c>-L</c>): by status as clush orders
    /// it (exit 0 first, then higher exit statuses, then errors), then in natural order of the nodes;
    /// with <see cref="OutputStreams.Both"/>, a node's stdout lines come before its stderr lines.
    /// </summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="results">The results.</param>
    /// <param name="streams">Which streams to print.</param>
    public static void WriteAll(TextWriter writer, IEnumerable<NodeResult> results, OutputStreams streams = OutputStreams.Stdout)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(results);
        foreach (NodeResult result in results.OrderBy(r => r, StatusOrder.Instance).ThenBy(r => r.Node, NaturalComparer.Instance))
        {
            if ((streams & OutputStreams.Stdout) != 0)
            {
                Write(writer, result.Node, result.Stdout.Span);
            }

            if ((streams & OutputStreams.Stderr) != 0)
            {
                Write(writer, result.Node, result.Stderr.Span);
            }
        }
    }

    internal static void WriteLine(TextWriter writer, string node, string line)
    {
        writer.Write(node);
        writer.Write(Separator);
        writer.Write(line);
        writer.Write('\n');
    }
}
