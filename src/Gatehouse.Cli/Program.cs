using System.CommandLine;
using Gatehouse.Cli.Commands;

namespace Gatehouse.Cli;

/// <summary>The <c>gatehouse</c> command.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Gatehouse: authenticated remote commands across a cluster")
        {
            GatewayCommand.Create(),
            IdCommand.Create(),
            TrustCommand.Create(),
            AuthorizeCommand.Create(),
            CallCommand.Create(),
            RemctlCommand.Create(),
        };
        return await root.Parse(Preprocess(args), Parsing).InvokeAsync();
    }

    /// <summary>
    /// No response files: System.CommandLine would otherwise read a word starting with <c>@</c> as
    /// a file of arguments, so <c>-w @group</c> failed ("Response file not found") and a remote
    /// argument such as <c>@home</c> was replaced by a local file's contents.
    /// </summary>
    internal static readonly ParserConfiguration Parsing = new() { ResponseFileTokenReplacer = null };

    /// <summary>
    /// For <c>call</c> and <c>remctl</c>: everything after the remote COMMAND belongs to that command, even words that
    /// look like options, so a <c>--</c> is put in front of them.
    /// </summary>
    internal static string[] Preprocess(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("call" or "remctl") || args.Contains("--"))
        {
            return args;
        }

        bool fanout = args[0] == "call" && args.Any(a => a is "-w" or "--nodes" || a.StartsWith("--nodes=", StringComparison.Ordinal));
        int positionalsBeforeArgs = fanout ? 1 : 2; // COMMAND, or HOST COMMAND
        string[] valueOptions = args[0] == "call" ? CallCommand.ValueOptions : RemctlCommand.ValueOptions;
        int seen = 0;
        for (int i = 1; i < args.Length; i++)
        {
            string a = args[i];
            if (a.StartsWith('-') && a.Length > 1)
            {
                if (valueOptions.Contains(a))
                {
                    i++; // skip its value
                }

                continue;
            }

            seen++;
            if (seen == positionalsBeforeArgs)
            {
                return [.. args[..(i + 1)], "--", .. args[(i + 1)..]];
            }
        }

        return args;
    }
}
