using System.Globalization;

namespace Gatehouse.NodeSets;

/// <summary>One <c>lo-hi/step</c> item of a bracket, with the zero padding its bounds asked for.</summary>
internal readonly record struct NumberRange(long Low, long High, long Step, int Padding)
{
    public long Count => ((High - Low) / Step) + 1;

    public string Format(long value) => Format(value, Padding);

    public static string Format(long value, int padding) =>
        value.ToString(CultureInfo.InvariantCulture).PadLeft(padding, '0');
}

/// <summary>A parsed pattern: literal text and bracketed range lists, expanded as a cartesian product.</summary>
internal sealed class Pattern
{
    private readonly List<object> _segments = [];

    public void AddLiteral(string text) => _segments.Add(text);

    public void AddRanges(List<NumberRange> ranges) => _segments.Add(ranges);

    /// <summary>
    /// Number of distinct names the pattern expands to, saturating at <see cref="long.MaxValue"/>:
    /// overlapping ranges of one bracket are counted once (<c>n[1-60000,1-60000]</c> is 60,000 names).
    /// Exact for ranges without a step; ranges with a step, or with other padding, are added in full,
    /// so the count never falls short of the expansion.
    /// </summary>
    public long Count()
    {
        long count = 1;
        foreach (object segment in _segments)
        {
            if (segment is List<NumberRange> ranges)
            {
                count = SaturatingMultiply(count, DistinctUpperBound(ranges));
            }
        }

        return count;
    }

    /// <summary>Values of one bracket, counting the <see cref="Normalized"/> ranges.</summary>
    private static long DistinctUpperBound(List<NumberRange> ranges)
    {
        long sum = 0;
        foreach (NumberRange range in Normalized(ranges))
        {
            sum = SaturatingAdd(sum, range.Count);
        }

        return sum;
    }

    /// <summary>
    /// The ranges of one bracket with overlapping or adjacent step-1 ranges of the same padding merged
    /// (so <c>[1-99999,1-99999,...]</c> is expanded once, not once per repetition); ranges with a step
    /// are kept as they are. First the merged ranges in order of their start, then the stepped ones.
    /// </summary>
    private static List<NumberRange> Normalized(List<NumberRange> ranges)
    {
        var result = new List<NumberRange>(ranges.Count);
        foreach (var group in ranges.Where(r => r.Step == 1).GroupBy(r => r.Padding))
        {
            NumberRange? current = null;
            foreach (NumberRange range in group.OrderBy(r => r.Low))
            {
                if (current is { } c && range.Low <= c.High + 1)
                {
                    current = c with { High = Math.Max(c.High, range.High) };
                    continue;
                }

                if (current is { } done)
                {
                    result.Add(done);
                }

                current = range;
            }

            if (current is { } last)
            {
                result.Add(last);
            }
        }

        result.AddRange(ranges.Where(r => r.Step != 1));
        return result;
    }

    /// <summary>Expands the pattern; callers check <see cref="Count"/> against their limit first.</summary>
    public List<string> Expand()
    {
        List<string> names = [string.Empty];
        foreach (object segment in _segments)
        {
            if (segment is string literal)
            {
                for (int i = 0; i < names.Count; i++)
                {
                    names[i] += literal;
                }

                continue;
            }

            var values = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (NumberRange range in Normalized((List<NumberRange>)segment))
            {
                for (long value = range.Low; value <= range.High; value += range.Step)
                {
                    string text = range.Format(value);
                    if (seen.Add(text))
                    {
                        values.Add(text);
                    }
                }
            }

            var next = new List<string>(names.Count * values.Count);
            foreach (string prefix in names)
            {
                foreach (string value in values)
                {
                    next.Add(prefix + value);
                }
            }

            names = next;
        }

        return names;
    }

    private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static long SaturatingMultiply(long a, long b) =>
        a == 0 || b == 0 ? 0 : a > long.MaxValue / b ? long.MaxValue : a * b;
}
