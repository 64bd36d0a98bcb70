using Gatehouse.Protocol;
using System.Text;
using Gatehouse.Commands.Acl;
using Gatehouse.Commands.Configuration;
using Gatehouse.Commands.Exec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Commands;

/// <summary>
/// Resolves, authorizes and runs remctl commands against a <see cref="CommandConfiguration"/>, with
/// remctld's rules: first matching line wins, unknown command is error 5, refused ACL is error 6,
/// <c>help</c> (when no line matches it) lists summaries or runs a line's help. Exec lines run here;
/// <c>type=zeromq</c> lines go to <see cref="CommandRunnerOptions.ZeroMqBackend"/>. Thread-safe.
/// </summary>
public sealed partial class CommandRunner
{
    private readonly CommandRunnerOptions options;
    private readonly ILogger logger;
    private readonly AclEvaluator acl;
    private readonly ExecBackend exec;

    /// <summary>Creates a runner for <paramref name="configuration"/>.</summary>
    /// <param name="configuration">The configuration to use (swap runners to reload).</param>
    /// <param name="options">Settings; <see cref="CommandRunnerOptions.Default"/> when null.</param>
    /// <param name="logger">Where to log; nothing is logged when null.</param>
    public CommandRunner(CommandConfiguration configuration, CommandRunnerOptions? options = null, ILogger<CommandRunner>? logger = null)
    {
        Configuration = configuration;
        this.options = options ?? CommandRunnerOptions.Default;
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
        acl = new AclEvaluator(this.options.Acl);
        exec = new ExecBackend(this.logger, this.options.OutputBufferSize, this.options.Meter);
    }

    /// <summary>The configuration this runner uses.</summary>
    public CommandConfiguration Configuration { get; }

    /// <summary>
    /// Checks <paramref name="line"/>'s ACLs for a caller. Errors (unreadable ACL file, bad entry in
    /// an ACL file) refuse access and are logged.
    /// </summary>
    /// <returns>True when the caller may run the line.</returns>
    public bool IsAuthorized(CommandLine line, string principal, bool anonymous = false)
    {
        AclDecision decision = acl.Check(line.Acls, new AclSubject(principal, anonymous), line.Source);
        if (decision.Error is { } error)
        {
            Log.AclError(logger, error);
        }

        return decision.Allowed;
    }

    /// <summary>
    /// Resolves and authorizes an invocation without running anything, in remctld's order: NUL
    /// checks (error 4), line lookup with the help fallback, ACL (error 6), help option (error 10).
    /// Logs the command like remctld (<c>COMMAND from user: ...</c>, with logmask and stdin masking).
    /// </summary>
    /// <returns>What to run, or the refusal.</returns>
    public CommandResolution Resolve(CommandInvocation invocation)
    {
        IReadOnlyList<ReadOnlyMemory<byte>> args = invocation.Arguments;
        string principal = invocation.Principal;
        if (invocation.Command.Contains('\0', StringComparison.Ordinal) || (args.Count > 0 && args[0].Span.Contains((byte)0)))
        {
            Log.NulInCommand(logger, invocation.Command.Contains('\0', StringComparison.Ordinal) ? "command" : "subcommand", principal);
            return CommandResolution.Fail(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
        }

        string command = invocation.Command;
        string? subcommand = invocation.Subcommand;
        CommandLine? line = Configuration.Find(command, subcommand);
        bool help = false;
        string? helpSubcommand = null;
        if (line is null && command == "help")
        {
            if (args.Count > 2)
            {
                return CommandResolution.Fail(RemctlErrorCode.TooManyArgs, RemctlErrorMessages.TooManyHelpArgs);
            }

            if (subcommand is null)
            {
                LogCommand(invocation, null);
                return new CommandResolution(ResolutionKind.Summary, null, null);
            }

            help = true;
            helpSubcommand = args.Count > 1 ? Encoding.UTF8.GetString(args[1].Span) : null;
            line = Configuration.Find(subcommand, helpSubcommand);
        }

        int stdinPosition = help ? -1 : line?.Options.Stdin?.Resolve(args.Count) ?? -1;
        for (int i = 1; i < args.Count; i++)
        {
            if (i != stdinPosition && args[i].Span.Contains((byte)0))
            {
                Log.NulInCommand(logger, $"argument {i}", principal);
                return CommandResolution.Fail(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
            }
        }

        LogCommand(invocation, line);
        string display = subcommand is null ? command : $"{command} {subcommand}";
        if (line is null)
        {
            Log.UnknownCommand(logger, display, principal);
            return CommandResolution.Fail(RemctlErrorCode.UnknownCommand, RemctlErrorMessages.UnknownCommand);
        }

        if (!IsAuthorized(line, principal, invocation.Anonymous))
        {
            Log.AccessDenied(logger, principal, display);
            return CommandResolution.Fail(RemctlErrorCode.Access, RemctlErrorMessages.Access, line);
        }

        if (help && line.Options.Help is null)
        {
            Log.NoHelp(logger, command, principal);
            return CommandResolution.Fail(RemctlErrorCode.NoHelp, RemctlErrorMessages.NoHelp, line);
        }

        return new CommandResolution(help ? ResolutionKind.Help : ResolutionKind.Command, line, null);
    }

    /// <summary>
    /// Resolves, authorizes and runs an invocation, streaming output to <paramref name="output"/>.
    /// </summary>
    /// <param name="invocation">Who runs what.</param>
    /// <param name="stdin">
    /// The caller's input stream, or null. An exec program reads it only when its line has
    /// <c>stdin=</c> and the named argument was not given (the argument, when present, is what the
    /// program reads); otherwise the program's stdin is /dev/null and the stream is not read.
    /// </param>
    /// <param name="output">Receives output chunks as produced; awaiting it is the backpressure.</param>
    /// <param name="cancellationToken">Kills the command's process group (SIGTERM, then SIGKILL).</param>
    /// <returns>The exit status, or a remctl error (5 unknown command, 6 access denied, ...).</returns>
    /// <exception cref="OperationCanceledException">Cancelled; the process group was killed and reaped first.</exception>
    public async Task<CommandOutcome> RunAsync(CommandInvocation invocation, Stream? stdin, ICommandOutput output, CancellationToken cancellationToken)
    {
        CommandResolution resolution = Resolve(invocation);
        if (resolution.Line is { } matched)
        {
            output.Matched(matched);
        }

        switch (resolution.Kind)
        {
            case ResolutionKind.Failed:
                return resolution.Error!;
            case ResolutionKind.Summary:
                return await RunSummaryAsync(invocation, output, cancellationToken);
            case ResolutionKind.Help:
                return await RunHelpAsync(resolution.Line!, invocation, output, cancellationToken);
            default:
                return await RunLineAsync(resolution.Line!, invocation, stdin, output, cancellationToken);
        }
    }

    /// <summary>
    /// Runs an already resolved and authorized line with the caller's arguments (no ACL check here):
    /// exec lines with the exec backend, zeromq lines with <see cref="CommandRunnerOptions.ZeroMqBackend"/>.
    /// </summary>
    /// <returns>The outcome.</returns>
    /// <exception cref="OperationCanceledException">Cancelled; the process group was killed and reaped first.</exception>
    public Task<CommandOutcome> RunLineAsync(CommandLine line, CommandInvocation invocation, Stream? stdin, ICommandOutput output, CancellationToken cancellationToken)
    {
        if (line.Options.Type != BackendType.Exec)
        {
            return RunExternalAsync(line, invocation, stdin, output, cancellationToken);
        }

        ExecArgv argv = ArgvBuilder.ForCommand(line, invocation.Arguments, options.SudoPath);
        Stream? stream = line.Options.Stdin is not null && argv.StdinData is null ? stdin : null;
        return ExecAsync(line, argv, invocation, invocation.Command, stream, output, cancellationToken);
    }

    private Task<CommandOutcome> RunExternalAsync(CommandLine line, CommandInvocation invocation, Stream? stdin, ICommandOutput output, CancellationToken cancellationToken)
    {
        if (options.ZeroMqBackend is not { } backend)
        {
            Log.CannotRun(logger, line.Source.ToString(), "type=zeromq line but no ZeroMQ backend is configured");
            return Task.FromResult<CommandOutcome>(new CommandOutcome.Failed((int)RemctlErrorCode.Internal, RemctlErrorMessages.Internal));
        }

        return backend(line, invocation, stdin, output, cancellationToken);
    }

    private async Task<CommandOutcome> ExecAsync(CommandLine line, ExecArgv argv, CommandInvocation invocation, string remctlCommand, Stream? stdin, ICommandOutput output, CancellationToken cancellationToken)
    {
        string location = line.Source.ToString();
        if (line.Options.User is { } user)
        {
            switch (UserSwitch.Plan(user, options.EffectiveUid?.Invoke() ?? Exec.Native.Libc.GetEuid(), Exec.Native.Passwd.Find))
            {
                case UserSwitchPlan.Unknown:
                    Log.CannotRun(logger, location, $"invalid user value {user}");
                    return new CommandOutcome.Failed((int)RemctlErrorCode.Internal, RemctlErrorMessages.Internal);
                case UserSwitchPlan.NotPermitted refused:
                    // As remctld's child when the server is not root: initgroups fails, the reason
                    // goes to stderr and the status is 255.
                    Log.CannotRun(logger, location, $"user={user} needs a switch to UID {refused.User.Uid}, and the gateway is not running as root");
                    await output.WriteAsync(2, Encoding.UTF8.GetBytes(refused.StderrLine), cancellationToken);
                    return new CommandOutcome.Exited(255);
                case UserSwitchPlan.Switch change:
                    if (UserSwitch.MissingTool(options.SetprivPath, options.PerlPath) is { } missing)
                    {
                        // Not the program's fault: without the helper nothing can run as that user.
                        Log.CannotRun(logger, location, $"user={user} needs {missing}, which does not exist");
                        return new CommandOutcome.Failed((int)RemctlErrorCode.Internal, RemctlErrorMessages.Internal);
                    }

                    argv = UserSwitch.Wrap(argv, change.User, options.SetprivPath, options.PerlPath);
                    break;
            }
        }

        var environment = CommandEnvironment.ForExec(invocation, remctlCommand).Select(Encoding.UTF8.GetBytes).ToArray();
        var spawn = new SpawnRequest(argv.Path, argv.Argv, environment, argv.StdinData is not null || stdin is not null, options.WorkingDirectory)
        {
            MergeOutput = invocation.MergeOutput,
        };
        var request = new ExecRequest(spawn, argv.StdinData, stdin, line.Options.Timeout ?? options.DefaultTimeout, options.KillGracePeriod);
        var limiter = options.ProcessLimiter;
        if (limiter is not null && !limiter.TryAcquire(invocation.Principal, out string refusal))
        {
            Log.ProcessLimitReached(logger, location, invocation.Principal, refusal);
            return new CommandOutcome.Overloaded("Overloaded: " + refusal);
        }

        try
        {
            return await exec.RunAsync(request, location, output, cancellationToken);
        }
        catch (SpawnException e) when (e.ExecFailure is { } reason)
        {
            // As remctld: the program could not be executed (missing, not executable, E2BIG), so the
            // client is told why on stderr and sees status 255, not an internal error. The text is
            // stock remctld's, byte for byte (its child names itself "remctld"): scripts may match it.
            Log.CannotRun(logger, location, e.Message);
            await output.WriteAsync(2, Encoding.UTF8.GetBytes($"remctld: cannot execute command: {reason}\n"), cancellationToken);
            return new CommandOutcome.Exited(255);
        }
        catch (SpawnException e)
        {
            Log.CannotRun(logger, location, e.Message);
            return new CommandOutcome.Failed((int)RemctlErrorCode.Internal, RemctlErrorMessages.Internal);
        }
        finally
        {
            limiter?.Release(invocation.Principal);
        }
    }

    private void LogCommand(CommandInvocation invocation, CommandLine? line)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        Log.CommandReceived(logger, invocation.Principal, CommandLogFormatter.Format(invocation, line));
    }
}
