using System.Text;
using Gatehouse.Commands.Configuration;

namespace Gatehouse.Commands;

/// <summary>Formats a command for logs as remctld's server_log_command does.</summary>
public static class CommandLogFormatter
{
    /// <summary>
    /// Returns the command and its arguments joined by spaces, with arguments listed in the line's
    /// <c>logmask=</c> shown as <c>**MASKED**</c>, the <c>stdin=</c> argument as <c>**DATA**</c>, and
    /// non-printable characters (other than tab) replaced by <c>.</c>.
    /// </summary>
    /// <param name="invocation">The invocation.</param>
    /// <param name="line">The matched line, or null when none matched (nothing is masked).</param>
    /// <param name="maxLength">Longest result: past it the text is cut and ends with "..." (an audit record's bound).</param>
    public static string Format(CommandInvocation invocation, CommandLine? line, int maxLength = int.MaxValue)
    {
        var builder = new StringBuilder(invocation.Command);
        int count = invocation.Arguments.Count;
        int stdinPosition = line?.Options.Stdin?.Resolve(count) ?? -1;
        bool cut = false;
        for (int i = 0; i < count; i++)
        {
            if (builder.Length >= maxLength)
            {
                cut = true;
                break;
            }

            builder.Append(' ');
            if (i == stdinPosition)
            {
                builder.Append("**DATA**");
            }
            else if (line is not null && line.Options.LogMask.Contains(i + 1))
            {
                builder.Append("**MASKED**");
            }
            else
            {
                var arg = invocation.Arguments[i].Span;
                int room = Math.Max(0, maxLength - builder.Length);
                if (arg.Length > room)
                {
                    cut = true;
                    arg = arg[..room];
                }

                builder.Append(Encoding.UTF8.GetString(arg));
            }
        }

        if (cut || builder.Length > maxLength)
        {
            builder.Length = Math.Max(0, maxLength - 3);
            builder.Append("...");
        }

        for (int i = 0; i < builder.Length; i++)
        {
            char c = builder[i];
            if ((c < 32 && c != '\t') || c == 127)
            {
                builder[i] = '.';
            }
        }

        return builder.ToString();
    }
}
