using System.Collections;
using System.Globalization;

namespace Gatehouse.Commands;

/// <summary>The environment remctld gives a command.</summary>
public static class CommandEnvironment
{
    /// <summary>Variables remctld clears before running commands (systemd socket activation and notification).</summary>
    public static readonly IReadOnlyList<string> Cleared = ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET"];

    /// <summary>
    /// The remctl variables for an invocation, in this order: REMUSER, REMOTE_USER (both the
    /// principal), REMOTE_ADDR (when known), REMOTE_HOST (when known), REMCTL_COMMAND,
    /// REMOTE_EXPIRES (seconds since the epoch, when known). Also what a ZeroMQ backend sends as ENVIRONMENT.
    /// </summary>
    /// <param name="invocation">The invocation.</param>
    /// <param name="remctlCommand">The REMCTL_COMMAND value (the command; remctld uses <c>help</c> for help requests and the summary argument for summaries).</param>
    /// <returns>Name and value pairs.</returns>
    public static IReadOnlyList<KeyValuePair<string, string>> RemctlVariables(CommandInvocation invocation, string remctlCommand)
    {
        var variables = new List<KeyValuePair<string, string>>(6)
        {
            new("REMUSER", invocation.Principal),
            new("REMOTE_USER", invocation.Principal),
        };
        if (invocation.RemoteAddress is { } address)
        {
            variables.Add(new("REMOTE_ADDR", address));
        }

        if (invocation.RemoteHost is { } host)
        {
            variables.Add(new("REMOTE_HOST", host));
        }

        variables.Add(new("REMCTL_COMMAND", remctlCommand));
        if (invocation.Expires is { } expires)
        {
            variables.Add(new("REMOTE_EXPIRES", expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
        }

        return variables;
    }

    /// <summary>
    /// The full environment of an exec command: this process's environment without <see cref="Cleared"/>
    /// and without any inherited remctl variable, plus <see cref="RemctlVariables"/>.
    /// </summary>
    /// <returns><c>NAME=VALUE</c> strings.</returns>
    public static IReadOnlyList<string> ForExec(CommandInvocation invocation, string remctlCommand)
    {
        IReadOnlyList<KeyValuePair<string, string>> remctl = RemctlVariables(invocation, remctlCommand);
        var result = new List<string>();
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            string name = (string)entry.Key;
            if (Cleared.Contains(name) || name is "REMUSER" or "REMOTE_USER" or "REMOTE_ADDR" or "REMOTE_HOST" or "REMCTL_COMMAND" or "REMOTE_EXPIRES")
            {
                continue;
            }

            result.Add($"{name}={entry.Value}");
        }

        result.Sort(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> variable in remctl)
        {
            result.Add($"{variable.Key}={variable.Value}");
        }

        return result;
    }
}
