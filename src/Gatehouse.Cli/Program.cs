using System.CommandLine;
using Gatehouse.Cli.CommandLine;
using Gatehouse.Cli.Commands;

namespace Gatehouse.Cli;

/// <summary>
/// The <c>gatehouse</c> command. Every expected failure ends as one line on stderr and a documented
/// exit status (docs/cli.md): a usage error (unknown option, bad value) prints the problem and a
/// pointer to <c>--help</c> and exits 64; a <see cref="CliException"/> prints its message and exits
/// with its code (78 for a local file that cannot be used); another I/O failure exits 1; anything
/// else is a bug, reported in one line (exit 70).
/// </summary>
internal static class Program
{
    /// <summary>
    /// No response files: System.CommandLine would otherwise read a word starting with <c>@</c> as
    /// a file of arguments, so <c>-w @group</c> failed ("Response file not found") and a remote
    /// argument such as <c>@home</c> was replaced by a local file's contents.
    /// </summary>
    internal static readonly ParserConfiguration Parsing = new() { ResponseFileTokenReplacer = null };

    /// <summary>
    /// Exceptions reach <see cref="Main"/> (no stack trace printed for them); Ctrl-C cancels the
    /// command's token and leaves it a few seconds to print what it has (a fan-out's summary).
    /// </summary>
    internal static readonly InvocationConfiguration Invocation = new()
    {
        EnableDefaultExceptionHandler = false,
        ProcessTerminationTimeout = TimeSpan.FromSeconds(5),
    };

    public static async Task<int> Main(string[] args)
    {
        var root = CreateRoot();
        string name = args.Length > 0 && root.Subcommands.FirstOrDefault(c => c.Name == args[0]) is { } sub ? "gatehouse " + sub.Name : "gatehouse";
        if (args.Length > 0 && args[0] is "call" or "remctl")
        {
            var (split, error) = RemoteWords.Split(args, root.Subcommands.First(c => c.Name == args[0]));
            if (error is not null)
            {
                return Usage(name, error);
            }

            args = split;
        }

        var parse = root.Parse(args, Parsing);
        if (parse.Errors.Count > 0)
        {
            return Usage(name, parse.Errors[0].Message);
        }

        try
        {
            return await parse.InvokeAsync(Invocation);
        }
        catch (CliException ex)
        {
            Console.Error.WriteLine($"{name}: {ex.Message}");
            return ex.ExitCode;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{name}: {ex.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Interrupted;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"{name}: internal error ({ex.GetType().Name}): {ex.Message}");
            return ExitCodes.Internal;
        }
    }

    internal static RootCommand CreateRoot() => new("Gatehouse: authenticated remote commands across a cluster")
    {
        GatewayCommand.Create(),
        IdCommand.Create(),
        TrustCommand.Create(),
        AuthorizeCommand.Create(),
        PeersCommand.Create(),
        RotateIdentityCommand.Create(),
        CallCommand.Create(),
        RemctlCommand.Create(),
        RemctlCheckCommand.Create(),
        ConsoleCommand.Create(),
        CompletionCommand.Create(),
    };

    private static int Usage(string name, string problem)
    {
        Console.Error.WriteLine($"{name}: {problem}");
        Console.Error.WriteLine($"Try '{name} --help' for the options.");
        return ExitCodes.Usage;
    }
}
