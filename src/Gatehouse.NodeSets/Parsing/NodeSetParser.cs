using System.Globalization;

namespace Gatehouse.NodeSets;

/// <summary>
/// Evaluates node-set expressions. Pure: the only outside input is the group source.
/// </summary>
/// <remarks>
/// Grammar (whitespace is allowed around operators; whitespace between two terms means <c>,</c>):
/// <code>
/// expression := term { operator term }
/// operator   := ',' | '!' | '&amp;' | '^'          (all equal precedence, left to right)
/// term       := '@' groupname-pattern | node-pattern
/// pattern    := { text | '[' rangelist ']' }+     (cartesian product of the brackets)
/// rangelist  := range { ',' range }
/// range      := number [ '-' number [ '/' step ] ]
/// </code>
/// </remarks>
internal ref struct NodeSetParser
{
    /// <summary>Numbers longer than this are rejected so no arithmetic can overflow.</summary>
    internal const int MaxDigits = 18;

    private readonly string _text;
    private readonly NodeSetParseOptions _options;
    private int _pos;

    private NodeSetParser(string text, NodeSetParseOptions options)
    {
        _text = text;
        _options = options;
        _pos = 0;
    }

    public static HashSet<string> Evaluate(string expression, NodeSetParseOptions options)
    {
        var parser = new NodeSetParser(expression, options);
        return parser.ParseExpression();
    }

    /// <summary>Whether <paramref name="c"/> may appear in a group name (outside brackets).</summary>
    internal static bool IsGroupNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';

    private HashSet<string> ParseExpression()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        SkipWhitespace();
        if (AtEnd)
        {
            return result;
        }

        char op = ',';
        while (true)
        {
            int termStart = _pos;
            IEnumerable<string> term = ParseTerm();
            Apply(result, op, term);
            if (result.Count > _options.MaxNodes)
            {
                throw Error(termStart, $"the node set exceeds the limit of {_options.MaxNodes} nodes");
            }

            bool sawWhitespace = SkipWhitespace();
            if (AtEnd)
            {
                return result;
            }

            char c = _text[_pos];
            if (c is ',' or '!' or '&' or '^')
            {
                op = c;
                _pos++;
                SkipWhitespace();
                if (AtEnd)
                {
                    throw Error(_pos, $"expected a node name or @group after '{c}'");
                }
            }
            else if (sawWhitespace)
            {
                op = ',';
            }
            else
            {
                throw Error(_pos, $"unexpected '{c}'");
            }
        }
    }

    private static void Apply(HashSet<string> result, char op, IEnumerable<string> term)
    {
        switch (op)
        {
            case ',':
                result.UnionWith(term);
                break;
            case '!':
                result.ExceptWith(term);
                break;
            case '&':
                result.IntersectWith(term);
                break;
            default:
                result.SymmetricExceptWith(term);
                break;
        }
    }

    private IEnumerable<string> ParseTerm()
    {
        int start = _pos;
        if (_text[_pos] == '@')
        {
            _pos++;
            return ResolveGroups(start);
        }

        Pattern pattern = ParsePattern(group: false);
        if (_pos == start)
        {
            throw Error(_pos, $"expected a node name but found '{_text[_pos]}'");
        }

        return ExpandChecked(pattern, start);
    }

    private HashSet<string> ResolveGroups(int start)
    {
        int nameStart = _pos;
        Pattern pattern = ParsePattern(group: true);
        if (_pos == nameStart)
        {
            throw Error(_pos, "expected a group name after '@'");
        }

        INodeGroupSource groups = _options.Groups
            ?? throw Error(start, $"group \"@{_text[nameStart.._pos]}\" used but no groups are configured");
        var members = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in ExpandChecked(pattern, start))
        {
            if (!groups.TryGetGroup(name, out NodeSet? nodes))
            {
                throw Error(start, $"unknown group \"@{name}\"");
            }

            members.UnionWith(nodes);
            if (members.Count > _options.MaxNodes)
            {
                throw Error(start, $"the node set exceeds the limit of {_options.MaxNodes} nodes");
            }
        }

        return members;
    }

    private List<string> ExpandChecked(Pattern pattern, int start)
    {
        long count = pattern.Count();
        if (count > _options.MaxNodes)
        {
            string shown = count == long.MaxValue ? "too many" : count.ToString(CultureInfo.InvariantCulture);
            throw Error(start, $"\"{_text[start.._pos]}\" expands to {shown} names, more than the limit of {_options.MaxNodes}");
        }

        return pattern.Expand();
    }

    /// <summary>Reads literal text and bracket groups until an operator, whitespace or the end.</summary>
    private Pattern ParsePattern(bool group)
    {
        var pattern = new Pattern();
        int literalStart = _pos;
        while (!AtEnd)
        {
            char c = _text[_pos];
            if (c == '[')
            {
                if (_pos > literalStart)
                {
                    pattern.AddLiteral(_text[literalStart.._pos]);
                }

                pattern.AddRanges(ParseRangeList());
                literalStart = _pos;
                continue;
            }

            if (c == ']')
            {
                throw Error(_pos, "unexpected ']' without a matching '['");
            }

            bool accepted = group ? IsGroupNameChar(c) : !NodeSet.IsReserved(c);
            if (!accepted)
            {
                break;
            }

            _pos++;
        }

        if (_pos > literalStart)
        {
            pattern.AddLiteral(_text[literalStart.._pos]);
        }

        return pattern;
    }

    /// <summary>Parses <c>[a-b/s,c,...]</c>; the cursor is on the '['.</summary>
    private List<NumberRange> ParseRangeList()
    {
        int open = _pos;
        _pos++;
        var ranges = new List<NumberRange>();
        while (true)
        {
            if (AtEnd)
            {
                throw Error(open, "unclosed '['");
            }

            if (_text[_pos] == ']')
            {
                throw Error(_pos, ranges.Count == 0 ? "empty range list \"[]\"" : "expected a number before ']'");
            }

            ranges.Add(ParseRange(open));
            if (AtEnd)
            {
                throw Error(open, "unclosed '['");
            }

            char c = _text[_pos];
            _pos++;
            if (c == ']')
            {
                return ranges;
            }

            if (c != ',')
            {
                throw Error(_pos - 1, c == '[' ? "nested '[' is not allowed" : $"expected ',' or ']' but found '{c}'");
            }
        }
    }

    private NumberRange ParseRange(int open)
    {
        int lowStart = _pos;
        (long low, string lowText) = ParseNumber(open);
        if (AtEnd || _text[_pos] != '-')
        {
            return new NumberRange(low, low, 1, Padding(lowText));
        }

        _pos++;
        int highStart = _pos;
        (long high, string highText) = ParseNumber(open);
        long step = 1;
        if (!AtEnd && _text[_pos] == '/')
        {
            _pos++;
            int stepStart = _pos;
            (step, _) = ParseNumber(open);
            if (step == 0)
            {
                throw Error(stepStart, "range step must be at least 1");
            }
        }

        if (low > high)
        {
            throw Error(lowStart, $"range start {lowText} is greater than its end {highText}");
        }

        int padding = Padding(lowText);
        int highPadding = Padding(highText);
        if (highPadding != 0 && highPadding != padding)
        {
            throw Error(highStart, $"inconsistent zero padding between {lowText} and {highText}");
        }

        return new NumberRange(low, high, step, padding);
    }

    private (long Value, string Text) ParseNumber(int open)
    {
        int start = _pos;
        while (!AtEnd && char.IsAsciiDigit(_text[_pos]))
        {
            _pos++;
        }

        if (_pos == start)
        {
            if (AtEnd)
            {
                throw Error(open, "unclosed '['");
            }

            throw Error(_pos, _text[_pos] == '[' ? "nested '[' is not allowed" : $"expected a number but found '{_text[_pos]}'");
        }

        if (_pos - start > MaxDigits)
        {
            throw Error(start, $"number longer than {MaxDigits} digits");
        }

        string text = _text[start.._pos];
        return (long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture), text);
    }

    /// <summary>Zero padding a bound asks for: its length when it has a leading zero, else none.</summary>
    private static int Padding(string digits) => digits.Length > 1 && digits[0] == '0' ? digits.Length : 0;

    private readonly bool AtEnd => _pos >= _text.Length;

    private bool SkipWhitespace()
    {
        int start = _pos;
        while (!AtEnd && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }

        return _pos > start;
    }

    private readonly NodeSetFormatException Error(int position, string reason) => new(_text, position, reason);
}
