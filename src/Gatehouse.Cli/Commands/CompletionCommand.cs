using System.CommandLine;
using Gatehouse.Cli.CommandLine;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse completion bash|zsh</c>: prints a shell completion script generated from the
/// command definitions themselves (<see cref="CompletionScript"/>), so it never falls behind them.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print a shell completion script: eval \"$(gatehouse completion bash)\", or for zsh: gatehouse completion zsh > ~/.zfunc/_gatehouse") { shell };
        command.SetAction(parse =>
        {
            var root = parse.RootCommandResult.Command;
            Console.Out.Write(parse.GetValue(shell) == "zsh" ? CompletionScript.Zsh(root) : CompletionScript.Bash(root));
            return 0;
        });
        return command;
    }
}
