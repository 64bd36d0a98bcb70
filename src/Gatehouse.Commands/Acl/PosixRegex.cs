using System.Text;
using System.Text.RegularExpressions;

namespace Gatehouse.Commands.Acl;

/// <summary>
/// Translates a POSIX extended regular expression (as remctld compiles it with
/// <c>regcomp(REG_EXTENDED | REG_NOSUB)</c>) into an equivalent .NET pattern. Only whether the
/// expression matches matters (REG_NOSUB), so POSIX leftmost-longest versus .NET leftmost-first
/// makes no difference. Character classes use the C locale (ASCII).
/// </summary>
internal static class PosixRegex
{
    private const string Specials = ".[]()*+?{}|^$\\";

    /// <summary>Returns the .NET pattern for <paramref name="ere"/>.</summary>
    /// <exception cref="ArgumentException">The expression is malformed (unterminated bracket, trailing backslash, unknown class).</exception>
    public static string Translate(string ere)
    {
        var output = new StringBuilder(ere.Length + 8);
        for (int i = 0; i < ere.Length; i++)
        {
            char c = ere[i];
            switch (c)
            {
                case '\\':
                    if (i + 1 >= ere.Length)
                    {
                        throw new ArgumentException("trailing backslash");
                    }

                    output.Append(TranslateEscape(ere[++i]));
                    break;
                case '$':
                    // POSIX $ matches only at the very end; .NET $ also matches before a final newline.
                    output.Append(@"\z");
                    break;
                case '(':
                    // Non-capturing, so a following '?' cannot become a .NET group construct.
                    output.Append("(?:");
                    break;
                case '{':
                    // GNU accepts {,n} as {0,n}; .NET would read it as literal text.
                    output.Append(i + 1 < ere.Length && ere[i + 1] == ',' ? "{0" : "{");
                    break;
                case '[':
                    i = TranslateBracket(ere, i, output);
                    break;
                default:
                    output.Append(c);
                    break;
            }
        }

        return output.ToString();
    }

    private static string TranslateEscape(char c) => c switch
    {
        _ when Specials.Contains(c, StringComparison.Ordinal) => "\\" + c,
        'w' or 'W' or 's' or 'S' or 'b' or 'B' => "\\" + c,
        '<' => @"\b(?=\w)",
        '>' => @"\b(?<=\w)",
        >= '1' and <= '9' => "\\" + c,
        _ => Regex.Escape(c.ToString()),
    };

    /// <summary>Translates the bracket expression starting at <paramref name="start"/> and returns the index of its closing bracket.</summary>
    private static int TranslateBracket(string ere, int start, StringBuilder output)
    {
        int i = start + 1;
        output.Append('[');
        if (i < ere.Length && ere[i] == '^')
        {
            output.Append('^');
            i++;
        }

        bool first = true;
        for (; i < ere.Length; i++, first = false)
        {
            char c = ere[i];
            if (c == ']' && !first)
            {
                output.Append(']');
                return i;
            }

            if (c == '[' && i + 1 < ere.Length && ere[i + 1] is ':' or '=' or '.')
            {
                char kind = ere[i + 1];
                int close = ere.IndexOf(kind + "]", i + 2, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new ArgumentException($"unterminated [{kind} in bracket expression");
                }

                string name = ere[(i + 2)..close];
                output.Append(kind == ':' ? ClassRange(name) : SingleCharacter(name));
                i = close + 1;
                continue;
            }

            output.Append(c switch
            {
                '\\' => @"\\",
                '[' => @"\[",
                ']' => @"\]",
                '^' => @"\^",
                '-' when i + 1 < ere.Length && ere[i + 1] == '[' => @"\-",
                _ => c.ToString(),
            });
        }

        throw new ArgumentException("unmatched [ in regular expression");
    }

    private static string SingleCharacter(string name) =>
        name.Length == 1 ? Regex.Escape(name).Replace("]", @"\]", StringComparison.Ordinal).Replace("-", @"\-", StringComparison.Ordinal) : throw new ArgumentException($"invalid collating element '{name}'");

    private static string ClassRange(string name) => name switch
    {
        "alpha" => "a-zA-Z",
        "digit" => "0-9",
        "alnum" => "a-zA-Z0-9",
        "upper" => "A-Z",
        "lower" => "a-z",
        "space" => @" \t\n\v\f\r",
        "blank" => @" \t",
        "punct" => @"!-/:-@\[-`{-~",
        "print" => @"\x20-\x7E",
        "graph" => @"\x21-\x7E",
        "cntrl" => @"\x00-\x1F\x7F",
        "xdigit" => "0-9A-Fa-f",
        _ => throw new ArgumentException($"invalid character class '{name}'"),
    };
}
