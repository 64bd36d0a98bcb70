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

    /// <summary>Number of names the pattern expands to, saturating at <see cref="long.MaxValue"/>.</summary>
    public long Count()
    {
        long count = 1;
        foreach (object segment in _segments)
        {
            if (segment is List<NumberRange> ranges)
            {
                long sum = 0;
                foreach (NumberRange range in ranges)
                {
                    sum = SaturatingAdd(sum, range.Count);
                }

                count = SaturatingMultiply(count, sum);
            }
        }

        return count;
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

            var ranges = (List<NumberRange>)segment;
            var next = new List<string>();
            foreach (string prefix in names)
            {
                foreach (NumberRange range in ranges)
                {
                    for (long value = range.Low; value <= range.High; value += range.Step)
                    {
                        next.Add(prefix + range.Format(value));
                    }
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
