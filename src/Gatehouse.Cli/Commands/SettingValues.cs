using System.Globalization;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// Parses and formats the values of configuration settings (docs/operations.md, "Values"):
/// durations such as <c>10s</c>, <c>500ms</c>, <c>5m</c>, <c>1h</c>, <c>1d</c> (or .NET's
/// <c>00:00:10</c>), sizes such as <c>65536</c>, <c>64KiB</c>, <c>4MiB</c>, <c>1GiB</c>, booleans.
/// Pure: no I/O. Each parser throws <see cref="FormatException"/> with a message naming what is expected.
/// </summary>
internal static class SettingValues
{
    private static readonly (string Suffix, double Ms)[] DurationUnits =
        [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];

    private static readonly (string Suffix, long Bytes)[] SizeUnits =
        [("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("B", 1)];

    public static TimeSpan ParseDuration(string text)
    {
        string t = text.Trim();
        // Longest suffix first: "ms" before "s" and "m".
        foreach (var (suffix, ms) in DurationUnits.OrderByDescending(u => u.Suffix.Length))
        {
            if (t.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(t[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n)
                && n * ms <= TimeSpan.MaxValue.TotalMilliseconds / 2)
            {
                return TimeSpan.FromMilliseconds(n * ms);
            }
        }

        if (t == "0")
        {
            return TimeSpan.Zero;
        }

        if (t.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            return span;
        }

        throw new FormatException($"'{Shorten(text)}' is not a duration (e.g. 500ms, 10s, 5m, 1h, 1d)");
    }

    public static string FormatDuration(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0";
        }

        double ms = value.TotalMilliseconds;
        foreach (var (suffix, unit) in DurationUnits.OrderByDescending(u => u.Ms))
        {
            if (ms % unit == 0)
            {
                return (ms / unit).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return ms.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
    }

    public static long ParseSize(string text, long max)
    {
        string t = text.Trim();
        long multiplier = 1;
        foreach (var (suffix, bytes) in SizeUnits)
        {
            if (t.EndsWith(suffix, StringComparison.Ordinal))
            {
                multiplier = bytes;
                t = t[..^suffix.Length].TrimEnd();
                break;
            }
        }

        if (!long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) || n > max / multiplier || n < long.MinValue / multiplier)
        {
            throw new FormatException($"'{Shorten(text)}' is not a size up to {max} (e.g. 65536, 64KiB, 4MiB)");
        }

        return n * multiplier;
    }

    public static int ParseInt(string text) =>
        int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new FormatException($"'{Shorten(text)}' is not a whole number (up to {int.MaxValue})");

    public static int ParseIntSize(string text) => (int)ParseSize(text, int.MaxValue);

    public static string FormatSize(long value)
    {
        foreach (var (suffix, bytes) in new[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10) })
        {
            if (value != 0 && value % bytes == 0)
            {
                return (value / bytes).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return value.ToString(CultureInfo.InvariantCulture);
    }

    public static string FormatCount(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static bool ParseBool(string text) => text.Trim().ToLowerInvariant() switch
    {
        "true" or "yes" or "on" or "1" => true,
        "false" or "no" or "off" or "0" => false,
        _ => throw new FormatException($"'{Shorten(text)}' is not true or false"),
    };

    public static string FormatBool(bool value) => value ? "true" : "false";

    public static T ParseEnum<T>(string text)
        where T : struct, Enum =>
        Enum.TryParse<T>(text.Trim(), ignoreCase: true, out var v) && Enum.IsDefined(v) && !int.TryParse(text, CultureInfo.InvariantCulture, out _)
            ? v
            : throw new FormatException($"'{Shorten(text)}' is not one of {string.Join(", ", Enum.GetNames<T>())}");

    public static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
