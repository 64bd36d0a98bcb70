using Gatehouse.Protocol;
using System.Text;
using Gatehouse.Commands.Configuration;
using Gatehouse.Commands.Exec;

namespace Gatehouse.Commands;

/// <summary>remctld's built-in <c>help</c> command: summaries and per-command help.</summary>
public sealed partial class CommandRunner
{
    /// <summary>
    /// <c>help</c> with no arguments: for every line, in order, that has <c>summary=</c> and that the
    /// caller may run, runs the program as <c>NAME SUMMARY [SUBCOMMAND]</c> (the subcommand omitted
    /// for <c>ALL</c> and <c>EMPTY</c> lines), streaming all output. REMCTL_COMMAND is the summary
    /// argument, as in remctld.
    /// </summary>
    /// <returns>
    /// Exit status 0 when every summary succeeded, else the last non-zero status; error 5
    /// (Unknown command) when no line has a summary the caller may run.
    /// </returns>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public async Task<CommandOutcome> RunSummaryAsync(CommandInvocation invocation, ICommandOutput output, CancellationToken cancellationToken)
    {
        bool any = false;
        int status = 0;
        foreach (CommandLine line in Configuration.Lines)
        {
            if (line.Options.Summary is not { } summary || !IsAuthorized(line, invocation.Principal, invocation.Anonymous))
            {
                continue;
            }

            any = true;
            CommandOutcome outcome;
            if (line.Options.Type == BackendType.Exec)
            {
                ExecArgv argv = ArgvBuilder.ForSummary(line, options.SudoPath);
                outcome = await ExecAsync(line, argv, invocation, summary, null, output, cancellationToken);
            }
            else
            {
                string? sub = line.Subcommand is CommandLine.All or CommandLine.Empty ? null : line.Subcommand;
                var forwarded = invocation with { Command = line.Command == CommandLine.All ? summary : line.Command, Arguments = ArgvBuilder.WithoutProgram(summary, sub) };
                outcome = await RunExternalAsync(line, forwarded, null, output, cancellationToken);
            }

            // A summary that failed to run counts as a failure, as remctld's status -1 does.
            int code = outcome switch
            {
                CommandOutcome.Exited exited => exited.ExitCode,
                _ => -1,
            };
            if (code != 0)
            {
                status = code;
            }
        }

        if (!any)
        {
            Log.NoSummaries(logger, invocation.Principal);
            return new CommandOutcome.Failed((int)RemctlErrorCode.UnknownCommand, RemctlErrorMessages.UnknownCommand);
        }

        return new CommandOutcome.Exited(status);
    }

    /// <summary>
    /// <c>help COMMAND [SUB]</c> for an already resolved and authorized line with <c>help=</c>: runs
    /// <c>NAME HELP [SUB]</c>. REMCTL_COMMAND is <c>help</c>, as in remctld.
    /// </summary>
    /// <returns>The program's outcome.</returns>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public Task<CommandOutcome> RunHelpAsync(CommandLine line, CommandInvocation invocation, ICommandOutput output, CancellationToken cancellationToken)
    {
        string help = line.Options.Help ?? throw new ArgumentException("the line has no help= option", nameof(line));
        string? sub = invocation.Arguments.Count > 1 ? Encoding.UTF8.GetString(invocation.Arguments[1].Span) : null;
        if (line.Options.Type != BackendType.Exec)
        {
            var forwarded = invocation with { Arguments = ArgvBuilder.WithoutProgram(help, sub) };
            return RunExternalAsync(line, forwarded, null, output, cancellationToken);
        }

        ExecArgv argv = ArgvBuilder.ForHelp(line, help, sub, options.SudoPath);
        return ExecAsync(line, argv, invocation, invocation.Command, null, output, cancellationToken);
    }
}
