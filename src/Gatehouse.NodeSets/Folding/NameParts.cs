namespace Gatehouse.NodeSets;

/// <summary>
/// A node name cut into the pieces folding works on: literal texts around numeric fields.
/// <c>rack1-node07:7340</c> becomes texts <c>["rack", "-node", ":", ""]</c> and digit fields
/// <c>["1", "07", "7340"]</c> (kept as written, so <c>07</c> keeps its zero padding). A port is a
/// numeric field like any other, as in ClusterShell (<c>gw1:[7340-7341]</c>).
/// </summary>
internal sealed class NameParts
{
    private NameParts(string name, string[] texts, string[] digits)
    {
        Name = name;
        Texts = texts;
        Digits = digits;
        GroupKey = string.Join('\0', texts);
        Pattern = string.Join("%s", texts);
    }

    public string Name { get; }

    /// <summary>Literal text before, between and after the numeric fields (one more than <see cref="Digits"/>).</summary>
    public string[] Texts { get; }

    /// <summary>Each numeric field as written (at most <see cref="NodeSetParser.MaxDigits"/> digits).</summary>
    public string[] Digits { get; }

    /// <summary>Names with the same key differ only in their numeric fields.</summary>
    public string GroupKey { get; }

    /// <summary>The name with each numeric field replaced by <c>%s</c>: the order folded terms are written in.</summary>
    public string Pattern { get; }

    public int Dimensions => Digits.Length;

    public static NameParts Split(string name)
    {
        var texts = new List<string>();
        var digits = new List<string>();
        int textStart = 0;
        int i = 0;
        while (i < name.Length)
        {
            if (!char.IsAsciiDigit(name[i]))
            {
                i++;
                continue;
            }

            int end = i;
            while (end < name.Length && char.IsAsciiDigit(name[end]))
            {
                end++;
            }

            if (end - i <= NodeSetParser.MaxDigits)
            {
                texts.Add(name[textStart..i]);
                digits.Add(name[i..end]);
                textStart = end;
            }

            i = end;
        }

        texts.Add(name[textStart..]);
        return new NameParts(name, [.. texts], [.. digits]);
    }
}
