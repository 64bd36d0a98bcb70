using System.Text;
using Gatehouse.Commands.Configuration;

namespace Gatehouse.Commands.Exec;

/// <summary>The program to execute and its exact argv, plus the argument moved to stdin.</summary>
/// <param name="Path">The file executed: the line's program, or sudo for <c>sudo=</c> lines.</param>
/// <param name="Argv">argv including argv[0].</param>
/// <param name="StdinData">The <c>stdin=</c> argument, or null when none is passed on stdin.</param>
internal sealed record ExecArgv(string Path, IReadOnlyList<byte[]> Argv, ReadOnlyMemory<byte>? StdinData);

/// <summary>Builds argv exactly as remctld's create_argv_command, create_argv_help and server_send_summary do. Pure.</summary>
internal static class ArgvBuilder
{
    /// <summary>
    /// For a command: argv[0] is the program's file name (or, with <c>sudo=USER</c>,
    /// <c>SUDO -u USER -- PROGRAM</c>), followed by every argument (subcommand first) except the one
    /// <c>stdin=</c> names, which becomes <see cref="ExecArgv.StdinData"/>.
    /// </summary>
    public static ExecArgv ForCommand(CommandLine line, IReadOnlyList<ReadOnlyMemory<byte>> arguments, string sudoPath)
    {
        var argv = new List<byte[]>(arguments.Count + 5);
        string path = Prefix(line, argv, sudoPath);
        int stdinPosition = line.Options.Stdin?.Resolve(arguments.Count) ?? -1;
        ReadOnlyMemory<byte>? stdin = null;
        for (int i = 0; i < arguments.Count; i++)
        {
            if (i == stdinPosition)
            {
                stdin = arguments[i];
                continue;
            }

            argv.Add(arguments[i].ToArray());
        }

        return new ExecArgv(path, argv, stdin);
    }

    /// <summary>For <c>help COMMAND [SUB]</c>: argv is <c>NAME HELPARG [SUB]</c>.</summary>
    public static ExecArgv ForHelp(CommandLine line, string helpArgument, string? subcommand, string sudoPath)
    {
        var argv = new List<byte[]>(8);
        string path = Prefix(line, argv, sudoPath);
        argv.Add(Encoding.UTF8.GetBytes(helpArgument));
        if (subcommand is not null)
        {
            argv.Add(Encoding.UTF8.GetBytes(subcommand));
        }

        return new ExecArgv(path, argv, null);
    }

    /// <summary>For a summary: argv is <c>NAME SUMMARYARG [SUBCOMMAND]</c>, the subcommand omitted when the line's is <c>ALL</c> or <c>EMPTY</c>.</summary>
    public static ExecArgv ForSummary(CommandLine line, string sudoPath) =>
        ForHelp(line, line.Options.Summary!, line.Subcommand is CommandLine.All or CommandLine.Empty ? null : line.Subcommand, sudoPath);

    /// <summary>
    /// The arguments of a help or summary run, as a backend other than exec receives them (argv without argv[0]).
    /// </summary>
    public static IReadOnlyList<ReadOnlyMemory<byte>> WithoutProgram(string first, string? second)
    {
        var list = new List<ReadOnlyMemory<byte>> { Encoding.UTF8.GetBytes(first) };
        if (second is not null)
        {
            list.Add(Encoding.UTF8.GetBytes(second));
        }

        return list;
    }

    private static string Prefix(CommandLine line, List<byte[]> argv, string sudoPath)
    {
        // remctld builds help and summary argv without the sudo prefix yet still execs sudo (a bug);
        // Gatehouse applies the prefix to every run of a sudo= line.
        if (line.Options.Sudo is { } user)
        {
            argv.Add(Encoding.UTF8.GetBytes(sudoPath));
            argv.Add("-u"u8.ToArray());
            argv.Add(Encoding.UTF8.GetBytes(user));
            argv.Add("--"u8.ToArray());
            argv.Add(Encoding.UTF8.GetBytes(line.Program));
            return sudoPath;
        }

        argv.Add(Encoding.UTF8.GetBytes(line.ProgramName));
        return line.Program;
    }
}
