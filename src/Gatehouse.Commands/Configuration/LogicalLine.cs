namespace Gatehouse.Commands.Configuration;

/// <summary>One logical line of a configuration file: continuation lines joined, comments and blank lines dropped.</summary>
/// <param name="LineNumber">The 1-based number of its first physical line.</param>
/// <param name="Text">The joined text, without the backslash-newline pairs.</param>
internal readonly record struct LogicalLine(int LineNumber, string Text);

/// <summary>Splits configuration text into logical lines the way remctld's read_conf_file does.</summary>
internal static class LogicalLineReader
{
    /// <summary>
    /// Returns the logical lines of <paramref name="text"/>. A line ending in a backslash continues on
    /// the next line (the backslash and the newline are removed and nothing is inserted, exactly as
    /// remctld does), and this applies to comment lines too. Lines whose first non-blank character is
    /// <c>#</c> and blank lines are skipped. A carriage return before the newline is dropped.
    /// </summary>
    /// <exception cref="ConfigurationException">The text ends with a continuation backslash.</exception>
    public static List<LogicalLine> Read(string text, string fileName)
    {
        var result = new List<LogicalLine>();
        var builder = new System.Text.StringBuilder();
        int start = 0;
        int lineNumber = 0;
        int firstLine = 0;
        bool continuing = false;
        while (start < text.Length)
        {
            int end = text.IndexOf('\n', start);
            string physical = end < 0 ? text[start..] : text[start..end];
            start = end < 0 ? text.Length : end + 1;
            lineNumber++;
            if (physical.EndsWith('\r'))
            {
                physical = physical[..^1];
            }

            if (!continuing)
            {
                firstLine = lineNumber;
                builder.Clear();
            }

            if (physical.EndsWith('\\'))
            {
                builder.Append(physical, 0, physical.Length - 1);
                continuing = true;
                continue;
            }

            builder.Append(physical);
            continuing = false;
            Add(result, firstLine, builder.ToString());
        }

        if (continuing)
        {
            throw new ConfigurationException(fileName, lineNumber, "no final line or newline");
        }

        return result;
    }

    private static void Add(List<LogicalLine> result, int lineNumber, string text)
    {
        string trimmed = text.TrimStart();
        if (trimmed.Length == 0 || trimmed[0] == '#')
        {
            return;
        }

        result.Add(new LogicalLine(lineNumber, text));
    }

    /// <summary>Splits a logical line into fields separated by runs of spaces and tabs.</summary>
    public static string[] SplitFields(string text) =>
        text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
}
