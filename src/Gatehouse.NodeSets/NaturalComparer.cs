namespace Gatehouse.NodeSets;

/// <summary>
/// Orders node names the way people read them: runs of digits compare by numeric value, so
/// <c>node2</c> sorts before <c>node10</c>; other characters compare ordinally.
/// </summary>
/// <remarks>
/// Equal numeric values with different zero padding sort shorter first (<c>node1</c> before
/// <c>node01</c>). Ties are broken ordinally, so the order is total and consistent with
/// <see cref="StringComparer.Ordinal"/> equality. Numbers of any length are compared without
/// overflow.
/// </remarks>
public sealed class NaturalComparer : IComparer<string>
{
    /// <summary>The shared instance.</summary>
    public static NaturalComparer Instance { get; } = new();

    private NaturalComparer()
    {
    }

    /// <summary>Compares two node names in natural order.</summary>
    /// <returns>Negative when <paramref name="x"/> sorts first, zero when equal, positive otherwise.</returns>
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        int result = CompareSpans(x, y);
        return result != 0 ? result : string.CompareOrdinal(x, y);
    }

    private static int CompareSpans(ReadOnlySpan<char> x, ReadOnlySpan<char> y)
    {
        int i = 0;
        int j = 0;
        int paddingTieBreak = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int endX = EndOfDigits(x, i);
                int endY = EndOfDigits(y, j);
                int c = CompareNumbers(x[i..endX], y[j..endY]);
                if (c != 0)
                {
                    return c;
                }

                if (paddingTieBreak == 0)
                {
                    paddingTieBreak = (endX - i).CompareTo(endY - j);
                }

                i = endX;
                j = endY;
                continue;
            }

            if (x[i] != y[j])
            {
                return x[i].CompareTo(y[j]);
            }

            i++;
            j++;
        }

        int lengthOrder = (x.Length - i).CompareTo(y.Length - j);
        return lengthOrder != 0 ? lengthOrder : paddingTieBreak;
    }

    private static int EndOfDigits(ReadOnlySpan<char> s, int start)
    {
        int end = start;
        while (end < s.Length && char.IsAsciiDigit(s[end]))
        {
            end++;
        }

        return end;
    }

    /// <summary>Compares two digit runs by value, whatever their length or padding.</summary>
    private static int CompareNumbers(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        a = a.TrimStart('0');
        b = b.TrimStart('0');
        if (a.Length != b.Length)
        {
            return a.Length.CompareTo(b.Length);
        }

        return a.SequenceCompareTo(b);
    }
}
