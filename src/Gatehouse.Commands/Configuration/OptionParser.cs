using System.Collections.Immutable;
using System.Globalization;

namespace Gatehouse.Commands.Configuration;

/// <summary>Parses the <c>key=value</c> options of a configuration line (remctld's parse_conf_option).</summary>
internal static class OptionParser
{
    /// <summary>
    /// True when <paramref name="token"/> is an option setting by remctld's rule: it starts with a
    /// letter, continues with letters, digits or <c>-</c>, then <c>=</c> and at least one more character.
    /// The first token that is not an option starts the ACL list.
    /// </summary>
    public static bool IsOption(string token)
    {
        if (token.Length == 0 || !char.IsAsciiLetter(token[0]))
        {
            return false;
        }

        for (int i = 0; i < token.Length; i++)
        {
            char c = token[i];
            if (c == '=' && i > 0 && i + 1 < token.Length)
            {
                return true;
            }

            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Applies one option token to <paramref name="options"/> and returns the new options.</summary>
    /// <exception cref="ConfigurationException">The option is unknown or its value is invalid.</exception>
    public static CommandOptions Apply(CommandOptions options, string token, SourceLocation where)
    {
        int equals = token.IndexOf('=', StringComparison.Ordinal);
        string name = token[..equals];
        string value = token[(equals + 1)..];
        return name switch
        {
            "help" => options with { Help = value },
            "summary" => options with { Summary = value },
            "sudo" => options with { Sudo = value },
            "user" => options with { User = value },
            "logmask" => options with { LogMask = ParseLogMask(value, where) },
            "stdin" => options with { Stdin = ParseStdin(value, where) },
            "type" => options with { Type = ParseType(value, where) },
            "timeout" => options with { Timeout = ParseTimeout(value, where) },
            _ => throw Error(where, $"unknown option {token}"),
        };
    }

    /// <summary>Parses a positive decimal number as remctld's convert_number does (no sign, no spaces).</summary>
    public static bool TryParsePositive(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;

    private static ImmutableArray<int> ParseLogMask(string value, SourceLocation where)
    {
        var builder = ImmutableArray.CreateBuilder<int>();
        foreach (string part in value.Split(','))
        {
            if (!TryParsePositive(part, out int index))
            {
                throw Error(where, $"invalid logmask parameter {part}");
            }

            builder.Add(index);
        }

        return builder.ToImmutable();
    }

    private static StdinArgument ParseStdin(string value, SourceLocation where)
    {
        if (value == "last")
        {
            return StdinArgument.Last;
        }

        return TryParsePositive(value, out int index)
            ? new StdinArgument(index)
            : throw Error(where, $"invalid stdin value {value}");
    }

    private static BackendType ParseType(string value, SourceLocation where) => value switch
    {
        "exec" => BackendType.Exec,
        "zeromq" => BackendType.ZeroMq,
        _ => throw Error(where, $"invalid type value {value}"),
    };

    private static TimeSpan ParseTimeout(string value, SourceLocation where) =>
        TryParsePositive(value, out int seconds)
            ? TimeSpan.FromSeconds(seconds)
            : throw Error(where, $"invalid timeout value {value}");

    private static ConfigurationException Error(SourceLocation where, string problem) =>
        new(where.FileName, where.LineNumber, problem);
}
