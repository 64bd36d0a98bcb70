using System.Globalization;

namespace Gatehouse.NodeSets;

/// <summary>
/// A node name cut into the pieces folding works on: literal texts around numeric fields, and an
/// opaque <c>:port</c> suffix. <c>rack1-node07:7340</c> becomes texts <c>["rack", "-node", ""]</c>,
/// numbers <c>[1, 7]</c> (the second written with two digits) and suffix <c>:7340</c>.
/// </summary>
internal sealed class NameParts
{
    private NameParts(string name, string[] texts, long[] values, string[] digits, string suffix)
    {
        Name = name;
        Texts = texts;
        Values = values;
        Digits = digits;
        Suffix = suffix;
        SkeletonKey = string.Join('\0', texts) + "\0|" + suffix;
    }

    public string Name { get; }

    /// <summary>Literal text before, between and after the numeric fields (one more than <see cref="Values"/>).</summary>
    public string[] Texts { get; }

    public long[] Values { get; }

    /// <summary>Each numeric field as written, to tell <c>07</c> (padded) from <c>7</c>.</summary>
    public string[] Digits { get; }

    /// <summary>A trailing <c>:digits</c> port, kept verbatim and never folded into a range.</summary>
    public string Suffix { get; }

    /// <summary>Names with the same key differ only in their numeric fields.</summary>
    public string SkeletonKey { get; }

    public int Dimensions => Values.Length;

    /// <summary>Padding a field explicitly asks for: its length when it has a leading zero, else 0.</summary>
    public int ExplicitPadding(int dimension) =>
        Digits[dimension].Length > 1 && Digits[dimension][0] == '0' ? Digits[dimension].Length : 0;

    public static NameParts Split(string name)
    {
        string head = name;
        string suffix = string.Empty;
        int colon = name.LastIndexOf(':');
        if (colon > 0 && colon < name.Length - 1 && name.AsSpan(colon + 1).IndexOfAnyExceptInRange('0', '9') < 0)
        {
            head = name[..colon];
            suffix = name[colon..];
        }

        var texts = new List<string>();
        var values = new List<long>();
        var digits = new List<string>();
        int textStart = 0;
        int i = 0;
        while (i < head.Length)
        {
            if (!char.IsAsciiDigit(head[i]))
            {
                i++;
                continue;
            }

            int end = i;
            while (end < head.Length && char.IsAsciiDigit(head[end]))
            {
                end++;
            }

            if (end - i <= NodeSetParser.MaxDigits)
            {
                texts.Add(head[textStart..i]);
                string run = head[i..end];
                digits.Add(run);
                values.Add(long.Parse(run, NumberStyles.None, CultureInfo.InvariantCulture));
                textStart = end;
            }

            i = end;
        }

        texts.Add(head[textStart..]);
        return new NameParts(name, [.. texts], [.. values], [.. digits], suffix);
    }
}
