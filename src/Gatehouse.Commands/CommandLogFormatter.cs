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
    public static string Format(CommandInvocation invocation, CommandLine? line)
    {
        var builder = new StringBuilder(invocation.Command);
        int count = invocation.Arguments.Count;
        int stdinPosition = line?.Options.Stdin?.Resolve(count) ?? -1;
        for (int i = 0; i < count; i++)
        {
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
                builder.Append(Encoding.UTF8.GetString(invocation.Arguments[i].Span));
            }
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
