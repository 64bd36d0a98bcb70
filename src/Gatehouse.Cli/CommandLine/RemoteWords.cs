using System.CommandLine;

namespace Gatehouse.Cli.CommandLine;

/// <summary>
/// For <c>call</c> and <c>remctl</c>: splits the command line into this program's options and the
/// remote command. Options go before HOST (or, with <c>-w</c>, before COMMAND); every word after
/// COMMAND belongs to the remote command verbatim, even one that looks like an option, so a
/// <c>--</c> is put in front of them. Before COMMAND, a word starting with <c>-</c> must be one of the
/// command's options: an unknown one is an error (it used to be taken for the host). Bundled short
/// options are spelled out (<c>-bw nodes</c> is <c>-b -w nodes</c>, <c>-wnodes</c> is <c>-w nodes</c>),
/// and <c>--name=value</c> becomes <c>--name value</c>, so the parser sees one form.
/// </summary>
internal static class RemoteWords
{
    /// <summary>The rewritten arguments, or the problem with them (one line).</summary>
    public static (string[] Args, string? Error) Split(string[] args, Command command)
    {
        var takesValue = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (Option option in command.Options.Concat(HelpOptions(command)))
        {
            bool value = option is not Option<bool> && option.Arity.MaximumNumberOfValues > 0;
            takesValue[option.Name] = value;
            foreach (string alias in option.Aliases)
            {
                takesValue[alias] = value;
            }
        }

        var result = new List<string> { args[0] };
        bool fanout = false;
        int positionals = 0;
        for (int i = 1; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--")
            {
                result.AddRange(args[i..]);
                return ([.. result], null);
            }

            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                int eq = a.IndexOf('=', StringComparison.Ordinal);
                string name = eq < 0 ? a : a[..eq];
                if (!takesValue.TryGetValue(name, out bool value))
                {
                    return (args, $"unknown option '{name}'");
                }

                result.Add(name);
                fanout |= name == "--nodes";
                if (eq >= 0)
                {
                    if (!value)
                    {
                        return (args, $"option '{name}' takes no value");
                    }

                    result.Add(a[(eq + 1)..]);
                }
                else if (value)
                {
                    if (++i == args.Length)
                    {
                        return (args, $"option '{name}' needs a value");
                    }

                    result.Add(args[i]);
                }

                continue;
            }

            if (a.Length > 1 && a[0] == '-')
            {
                for (int c = 1; c < a.Length; c++)
                {
                    string flag = "-" + a[c];
                    if (!takesValue.TryGetValue(flag, out bool value))
                    {
                        return (args, c == 1 && a.Length == 2 ? $"unknown option '{a}'" : $"unknown option '{flag}' in '{a}'");
                    }

                    result.Add(flag);
                    fanout |= flag == "-w";
                    if (!value)
                    {
                        continue;
                    }

                    if (c + 1 < a.Length)
                    {
                        result.Add(a[(c + 1)..]); // -wnodes
                    }
                    else if (++i == args.Length)
                    {
                        return (args, $"option '{flag}' needs a value");
                    }
                    else
                    {
                        result.Add(args[i]);
                    }

                    break;
                }

                continue;
            }

            result.Add(a);
            positionals++;
            if (positionals == (fanout ? 1 : 2))
            {
                // COMMAND: the rest is the remote command's.
                result.Add("--");
                result.AddRange(args[(i + 1)..]);
                return ([.. result], null);
            }
        }

        return ([.. result], null);
    }

    private static IEnumerable<Option> HelpOptions(Command command)
    {
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            foreach (Option o in c.Options.Where(o => o.Recursive))
            {
                yield return o;
            }
        }
    }
}
