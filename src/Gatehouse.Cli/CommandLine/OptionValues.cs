using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Gatehouse.Cli.CommandLine;

/// <summary>
/// Options whose values are checked when parsed, each failure one line naming the option and what it
/// accepts (never a .NET type name): <c>--deadline: 'abc' is not a number of seconds</c>,
/// <c>--deadline must be more than 0 and at most 2147483 seconds</c>.
/// </summary>
internal static class OptionValues
{
    /// <summary>
    /// A duration in seconds: more than 0 and at most <paramref name="maxSeconds"/>; null when absent
    /// (the help names <paramref name="defaultSeconds"/>; the caller applies it, see <see cref="SecondsOr"/>).
    /// </summary>
    public static Option<TimeSpan?> Seconds(string name, string[] aliases, string description, double? defaultSeconds, double maxSeconds)
    {
        string shown = defaultSeconds is { } d ? $"{description} [default: {d.ToString(CultureInfo.InvariantCulture)}]" : description;
        var option = new Option<TimeSpan?>(name, aliases) { Description = shown, HelpName = "SECONDS" };

        option.CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || double.IsNaN(seconds))
            {
                result.AddError($"{name}: '{text}' is not a number of seconds");
                return null;
            }

            if (!(seconds > 0 && seconds <= maxSeconds))
            {
                result.AddError($"{name} must be more than 0 and at most {maxSeconds.ToString("0.###", CultureInfo.InvariantCulture)} seconds; got {text}");
                return null;
            }

            return TimeSpan.FromSeconds(seconds);
        };
        return option;
    }

    /// <summary>The value of a <see cref="Seconds"/> option, or <paramref name="defaultSeconds"/> when it was not given.</summary>
    public static TimeSpan SecondsOr(ParseResult parse, Option<TimeSpan?> option, double defaultSeconds) =>
        parse.GetValue(option) ?? TimeSpan.FromSeconds(defaultSeconds);

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<int> Count(string name, string[] aliases, string description, int defaultValue, int min, int max)
    {
        var option = new Option<int>(name, aliases) { Description = description, HelpName = "N", DefaultValueFactory = _ => defaultValue };
        option.CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            {
                result.AddError($"{name}: '{text}' is not a whole number");
                return defaultValue;
            }

            if (value < min || value > max)
            {
                result.AddError($"{name} must be {min}..{max}; got {text}");
                return defaultValue;
            }

            return value;
        };
        return option;
    }

    /// <summary>A TCP port, 1..65535.</summary>
    public static Option<int> Port(string name, string[] aliases, string description, int defaultValue) =>
        Count(name, aliases, description, defaultValue, 1, 65535);

    /// <summary>
    /// A size in bytes: a whole number, optionally followed by <c>K</c>, <c>M</c> or <c>G</c> (KiB, MiB,
    /// GiB; case-insensitive, an optional <c>iB</c>/<c>B</c> after it), from <paramref name="min"/> to <paramref name="max"/>.
    /// </summary>
    public static Option<long> Bytes(string name, string[] aliases, string description, long defaultValue, long min, long max)
    {
        var option = new Option<long>(name, aliases) { Description = $"{description} [default: {Size(defaultValue)}]", HelpName = "SIZE", DefaultValueFactory = _ => defaultValue };
        option.CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
            if (!TryParseSize(text, out long value))
            {
                result.AddError($"{name}: '{text}' is not a size (bytes, or a number with K, M or G)");
                return defaultValue;
            }

            if (value < min || value > max)
            {
                result.AddError($"{name} must be {Size(min)}..{Size(max)}; got {text}");
                return defaultValue;
            }

            return value;
        };
        return option;
    }

    /// <summary>Parses <c>123</c>, <c>64K</c>, <c>256M</c>, <c>1GiB</c> (powers of 1024); false when it is not such a size or overflows.</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        string t = text.Trim();
        if (t.Length > 2 && t.EndsWith("iB", StringComparison.OrdinalIgnoreCase) && char.IsLetter(t[^3]))
        {
            t = t[..^2]; // 256MiB
        }
        else if (t.Length > 1 && (t.EndsWith('B') || t.EndsWith('b')))
        {
            t = t[..^1]; // 256MB, 100B
        }

        int shift = t.Length == 0 ? 0 : char.ToUpperInvariant(t[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => 0 };
        if (shift > 0)
        {
            t = t[..^1];
        }

        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long number) || number > (long.MaxValue >> shift))
        {
            return false;
        }

        bytes = number << shift;
        return true;
    }

    /// <summary>A size as people read it: <c>256 MiB</c>, <c>64 KiB</c>, <c>1000 bytes</c>.</summary>
    public static string Size(long bytes) =>
        bytes != 0 && bytes % (1L << 30) == 0 ? $"{bytes >> 30} GiB"
        : bytes != 0 && bytes % (1L << 20) == 0 ? $"{bytes >> 20} MiB"
        : bytes != 0 && bytes % (1L << 10) == 0 ? $"{bytes >> 10} KiB"
        : bytes == 1 ? "1 byte" : $"{bytes} bytes";
}
