namespace Gatehouse.Commands.Acl;

/// <summary>One meaningful line of an ACL file.</summary>
/// <param name="LineNumber">1-based line number.</param>
/// <param name="Text">The entry (for an include line, the included entry).</param>
/// <param name="IsInclude">True for <c>include ENTRY</c>, whose default method is <c>file</c>.</param>
/// <param name="Error">A parse error for this line, or null.</param>
internal readonly record struct AclFileLine(int LineNumber, string Text, bool IsInclude, string? Error);

/// <summary>
/// Splits ACL file text into entries as remctld's acl_check_file_internal does: surrounding
/// whitespace trimmed, blank lines and lines starting with <c>#</c> skipped, one entry per line
/// (default method <c>princ</c>), or <c>include ENTRY</c> (default method <c>file</c>). Anything
/// else is a parse error. No continuation lines in ACL files. Pure and lazy (a parse error after the
/// deciding entry is never reached, as in remctld).
/// </summary>
internal static class AclFileParser
{
    /// <summary>Yields the entries of <paramref name="text"/> in order.</summary>
    public static IEnumerable<AclFileLine> Parse(string text)
    {
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            string[] fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 1)
            {
                yield return new AclFileLine(i + 1, fields[0], false, null);
            }
            else if (fields.Length == 2 && fields[0] == "include")
            {
                yield return new AclFileLine(i + 1, fields[1], true, null);
            }
            else
            {
                yield return new AclFileLine(i + 1, line, false, "parse error");
            }
        }
    }
}
