using System.Globalization;
using System.Text;

namespace Gatehouse.NodeSets;

/// <summary>
/// The values of one numeric field of a folded term: digit strings as written (<c>7</c>, <c>07</c>),
/// sorted as ClusterShell sorts them: shorter first, then by value (<c>9</c>, <c>01</c>, <c>10</c>).
/// Immutable; operations return new ranges.
/// </summary>
internal sealed class DigitRange : IEquatable<DigitRange>
{
    public static readonly IComparer<string> Order = Comparer<string>.Create(static (a, b) =>
        a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b));

    private readonly string[] _values; // sorted by Order, distinct

    private DigitRange(string[] sortedDistinct) => _values = sortedDistinct;

    public int Count => _values.Length;

    public string First => _values[0];

    public string Last => _values[^1];

    public static DigitRange Of(string digits) => new([digits]);

    public static DigitRange Of(IEnumerable<string> digits)
    {
        var set = new SortedSet<string>(digits, Order);
        return new([.. set]);
    }

    public bool Equals(DigitRange? other) => other is not null && _values.AsSpan().SequenceEqual(other._values);

    public override bool Equals(object? obj) => Equals(obj as DigitRange);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (string v in _values)
        {
            hash.Add(v, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <summary>True when no value is in both.</summary>
    public bool IsDisjoint(DigitRange other)
    {
        int i = 0, j = 0;
        while (i < _values.Length && j < other._values.Length)
        {
            int c = Order.Compare(_values[i], other._values[j]);
            if (c == 0)
            {
                return false;
            }

            if (c < 0)
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return true;
    }

    /// <summary>True when every value of this range is in <paramref name="other"/>.</summary>
    public bool IsSubsetOf(DigitRange other)
    {
        if (_values.Length > other._values.Length)
        {
            return false;
        }

        int j = 0;
        foreach (string v in _values)
        {
            while (j < other._values.Length && Order.Compare(other._values[j], v) < 0)
            {
                j++;
            }

            if (j == other._values.Length || Order.Compare(other._values[j], v) != 0)
            {
                return false;
            }

            j++;
        }

        return true;
    }

    public DigitRange Union(DigitRange other)
    {
        var merged = new List<string>(_values.Length + other._values.Length);
        int i = 0, j = 0;
        while (i < _values.Length || j < other._values.Length)
        {
            int c = i == _values.Length ? 1 : j == other._values.Length ? -1 : Order.Compare(_values[i], other._values[j]);
            if (c <= 0)
            {
                merged.Add(_values[i++]);
                if (c == 0)
                {
                    j++;
                }
            }
            else
            {
                merged.Add(other._values[j++]);
            }
        }

        return new([.. merged]);
    }

    /// <summary>
    /// Appends the field: <c>7</c> for one value, else <c>[1-3,7]</c>. A run is consecutive values
    /// of one padding: a zero-padded value (<c>08</c>) continues with values of its width
    /// (<c>08-10</c>); an unpadded run stops at a padded value (<c>9,01,10</c>).
    /// </summary>
    public void AppendTo(StringBuilder text)
    {
        if (_values.Length == 1)
        {
            text.Append(_values[0]);
            return;
        }

        text.Append('[');
        int i = 0;
        while (i < _values.Length)
        {
            string start = _values[i];
            bool padded = IsPadded(start);
            long last = Value(start);
            int end = i;
            while (end + 1 < _values.Length)
            {
                string next = _values[end + 1];
                bool compatible = padded ? next.Length == start.Length : !IsPadded(next);
                if (!compatible || Value(next) != last + 1)
                {
                    break;
                }

                last++;
                end++;
            }

            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(start);
            if (end > i)
            {
                text.Append('-').Append(_values[end]);
            }

            i = end + 1;
        }

        text.Append(']');
    }

    private static bool IsPadded(string digits) => digits.Length > 1 && digits[0] == '0';

    private static long Value(string digits) => long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
}
