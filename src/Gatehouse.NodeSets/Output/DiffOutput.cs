using DiffPlex;

namespace Gatehouse.NodeSets;

/// <summary>
/// The differences between nodes' outputs (clush <c>--diff</c>): nodes are gathered as in
/// <see cref="GatheredOutput"/> (nodes without output too), the group with the most nodes is the
/// reference, and every other group's output is shown as a unified diff against it (three lines of
/// context), in gathering order. A group whose output equals the reference's (it differs only in
/// exit status) shows nothing.
/// </summary>
/// <remarks>
/// <code>
/// --- n[1-3] (3)
/// +++ n5
/// @@ -1 +1 @@
/// -same
/// +other
/// </code>
/// Hunk ranges are written as Python's <c>difflib.unified_diff</c> writes them (<c>-1</c> for one
/// line, <c>-3,2</c>, <c>+0,0</c> for none), which is what clush prints. Lines are compared after
/// decoding (<see cref="LinePrefixOutput"/>); the line-matching algorithm is DiffPlex's, so where
/// two alignments are equally short the hunks may differ from difflib's.
/// </remarks>
public static class DiffOutput
{
    private const int Context = 3;

    /// <summary>Writes the diffs of <paramref name="results"/>.</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="results">One result per node.</param>
    /// <param name="options">Streams and whether headers show node counts; <see cref="GatherOptions.Default"/> when null.</param>
    /// <exception cref="ArgumentException">Two results name the same node.</exception>
    public static void Write(TextWriter writer, IEnumerable<NodeResult> results, GatherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        options ??= GatherOptions.Default;
        var groups = GatheredOutput.Gather(results, options.Streams, includeEmpty: true);
        if (groups.Count < 2)
        {
            return;
        }

        OutputGroup reference = groups.MaxBy(g => g.Nodes.Count)!; // the first of the largest, in gathering order
        List<string> referenceLines = LineSplitter.Split(reference.Output.Span);
        string from = GatheredOutput.Label(reference.Nodes, options.ShowNodeCount);
        foreach (OutputGroup group in groups)
        {
            if (ReferenceEquals(group, reference))
            {
                continue;
            }

            WriteUnified(writer, referenceLines, LineSplitter.Split(group.Output.Span), from, GatheredOutput.Label(group.Nodes, options.ShowNodeCount));
        }
    }

    /// <summary>Renders the diffs as a string.</summary>
    /// <returns>The text; empty when every node printed the same.</returns>
    public static string Render(IEnumerable<NodeResult> results, GatherOptions? options = null)
    {
        using var writer = new StringWriter();
        Write(writer, results, options);
        return writer.ToString();
    }

    /// <summary>One unified diff: headers, then hunks; nothing when the lines are equal.</summary>
    internal static void WriteUnified(TextWriter writer, List<string> a, List<string> b, string from, string to)
    {
        var opcodes = Opcodes(a, b);
        bool headerWritten = false;
        foreach (var hunk in Hunks(opcodes))
        {
            if (!headerWritten)
            {
                writer.Write($"--- {from}\n+++ {to}\n");
                headerWritten = true;
            }

            var first = hunk[0];
            var last = hunk[^1];
            writer.Write($"@@ -{Range(first.A1, last.A2)} +{Range(first.B1, last.B2)} @@\n");
            foreach (var op in hunk)
            {
                if (op.Tag == 'e')
                {
                    for (int i = op.A1; i < op.A2; i++)
                    {
                        writer.Write(' ');
                        writer.Write(a[i]);
                        writer.Write('\n');
                    }

                    continue;
                }

                for (int i = op.A1; i < op.A2; i++)
                {
                    writer.Write('-');
                    writer.Write(a[i]);
                    writer.Write('\n');
                }

                for (int j = op.B1; j < op.B2; j++)
                {
                    writer.Write('+');
                    writer.Write(b[j]);
                    writer.Write('\n');
                }
            }
        }
    }

    /// <summary>An edit: 'e' equal, 'c' changed (delete and/or insert); a[A1..A2) becomes b[B1..B2).</summary>
    internal readonly record struct Opcode(char Tag, int A1, int A2, int B1, int B2);

    private static List<Opcode> Opcodes(List<string> a, List<string> b)
    {
        var result = Differ.Instance.CreateDiffs(Join(a), Join(b), ignoreWhiteSpace: false, ignoreCase: false, LinesChunker.Instance);
        var ops = new List<Opcode>();
        int i = 0, j = 0;
        foreach (var block in result.DiffBlocks)
        {
            if (block.DeleteStartA > i)
            {
                ops.Add(new Opcode('e', i, block.DeleteStartA, j, j + (block.DeleteStartA - i)));
            }

            ops.Add(new Opcode('c', block.DeleteStartA, block.DeleteStartA + block.DeleteCountA, block.InsertStartB, block.InsertStartB + block.InsertCountB));
            i = block.DeleteStartA + block.DeleteCountA;
            j = block.InsertStartB + block.InsertCountB;
        }

        if (i < a.Count || j < b.Count)
        {
            ops.Add(new Opcode('e', i, a.Count, j, b.Count));
        }

        return ops;
    }

    /// <summary>Groups edits into hunks with up to three lines of context around changes (difflib's grouping).</summary>
    private static IEnumerable<List<Opcode>> Hunks(List<Opcode> ops)
    {
        if (!ops.Exists(o => o.Tag != 'e'))
        {
            yield break;
        }

        var codes = new List<Opcode>(ops);
        if (codes[0] is { Tag: 'e' } head)
        {
            codes[0] = head with { A1 = Math.Max(head.A1, head.A2 - Context), B1 = Math.Max(head.B1, head.B2 - Context) };
        }

        if (codes[^1] is { Tag: 'e' } tail)
        {
            codes[^1] = tail with { A2 = Math.Min(tail.A2, tail.A1 + Context), B2 = Math.Min(tail.B2, tail.B1 + Context) };
        }

        var group = new List<Opcode>();
        foreach (var op in codes)
        {
            if (op.Tag == 'e' && op.A2 - op.A1 > 2 * Context)
            {
                group.Add(op with { A2 = Math.Min(op.A2, op.A1 + Context), B2 = Math.Min(op.B2, op.B1 + Context) });
                yield return group;
                group = [op with { A1 = Math.Max(op.A1, op.A2 - Context), B1 = Math.Max(op.B1, op.B2 - Context) }];
                continue;
            }

            group.Add(op);
        }

        if (group.Count > 0 && !(group.Count == 1 && group[0].Tag == 'e'))
        {
            yield return group;
        }
    }

    /// <summary>A hunk range as difflib writes it: <c>3</c> for one line, <c>2,0</c> for none (the line before), else <c>start,count</c>.</summary>
    private static string Range(int start, int stop)
    {
        int beginning = start + 1;
        int length = stop - start;
        return length switch
        {
            1 => beginning.ToString(System.Globalization.CultureInfo.InvariantCulture),
            0 => $"{beginning - 1},0",
            _ => $"{beginning},{length}",
        };
    }

    private static string Join(List<string> lines) => lines.Count == 0 ? string.Empty : string.Join('\n', lines) + "\n";

    /// <summary>Splits text made by <see cref="Join"/> back into its lines (no other line break is one).</summary>
    private sealed class LinesChunker : IChunker
    {
        public static readonly LinesChunker Instance = new();

        public IReadOnlyList<string> Chunk(string text) =>
            text.Length == 0 ? [] : text[..^1].Split('\n');
    }
}
