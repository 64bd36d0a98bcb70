namespace Gatehouse.NodeSets;

/// <summary>Formats the one-line progress display of a fan-out: <c>[12/20] waiting: node[3,7-9]</c>.</summary>
public static class ProgressLine
{
    /// <summary>The marker that ends a truncated line.</summary>
    public const string Ellipsis = "...";

    /// <summary>Formats the progress line.</summary>
    /// <param name="done">Nodes finished so far (0 to <paramref name="total"/>).</param>
    /// <param name="total">Nodes in the fan-out.</param>
    /// <param name="outstanding">Nodes still running; when empty the line reads <c>[20/20] done</c>.</param>
    /// <param name="width">Maximum length (e.g. the terminal width); 0 means no limit. A longer line is cut and ends with <see cref="Ellipsis"/>.</param>
    /// <returns>The line, without a newline.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Negative counts or width, or <paramref name="done"/> above <paramref name="total"/>.</exception>
    public static string Format(int done, int total, NodeSet outstanding, int width = 0)
    {
        ArgumentNullException.ThrowIfNull(outstanding);
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        ArgumentOutOfRangeException.ThrowIfNegative(done);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(done, total);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        string line = outstanding.IsEmpty
            ? $"[{done}/{total}] done"
            : $"[{done}/{total}] waiting: {outstanding.Fold()}";
        if (width == 0 || line.Length <= width)
        {
            return line;
        }

        return width <= Ellipsis.Length ? line[..width] : string.Concat(line.AsSpan(0, width - Ellipsis.Length), Ellipsis);
    }
}
