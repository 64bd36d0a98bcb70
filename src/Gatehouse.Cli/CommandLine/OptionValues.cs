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
}
