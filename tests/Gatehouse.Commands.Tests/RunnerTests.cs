using System.Text;
using Gatehouse.Commands.Acl;
using Gatehouse.Commands.Configuration;

namespace Gatehouse.Commands.Tests;

public sealed class RunnerTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>Prints its argv (after argv[0]) and REMCTL_COMMAND, one line.</summary>
    private string Echo(string name) => dir.Script(name, $"echo \"{name}[$*] cmd=$REMCTL_COMMAND\"");

    private static async Task<(CommandOutcome Outcome, RecordingOutput Output)> Run(CommandRunner runner, CommandInvocation invocation)
    {
        var output = new RecordingOutput();
        CommandOutcome outcome = await runner.RunAsync(invocation, null, output, CancellationToken.None);
        return (outcome, output);
    }

    [Fact]
    public async Task Unknown_command_is_error_5_and_denied_is_error_6()
    {
        var runner = new CommandRunner(CommandConfiguration.Parse("a b /bin/echo princ:bob@R", "t"));
        Assert.Equal(new CommandOutcome.Failed(5, "Unknown command"), (await Run(runner, Invocations.Make("a", "c"))).Outcome);
        Assert.Equal(new CommandOutcome.Failed(5, "Unknown command"), (await Run(runner, Invocations.Make("z"))).Outcome);
        Assert.Equal(new CommandOutcome.Failed(6, "Access denied"), (await Run(runner, Invocations.Make("a", "b"))).Outcome);
        var (outcome, output) = await Run(runner, Invocations.Make("a", "b", "hello").As("bob@R"));
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal("b hello\n", output.Text(1));
    }

    [Fact]
    public async Task First_matching_line_decides_even_when_its_acl_refuses()
    {
        // remctld does not fall through to later lines when the first match denies.
        var runner = new CommandRunner(CommandConfiguration.Parse("a b /bin/echo princ:bob@R\na ALL /bin/echo ANYUSER\n", "t"));
        Assert.Equal(new CommandOutcome.Failed(6, "Access denied"), (await Run(runner, Invocations.Make("a", "b"))).Outcome);
        Assert.Equal(new CommandOutcome.Exited(0), (await Run(runner, Invocations.Make("a", "c"))).Outcome);
    }

    [Fact]
    public async Task Acl_error_refuses_access()
    {
        var runner = new CommandRunner(CommandConfiguration.Parse("a ALL /bin/echo /nonexistent/acl ANYUSER", "t"));
        Assert.Equal(new CommandOutcome.Failed(6, "Access denied"), (await Run(runner, Invocations.Make("a"))).Outcome);
    }

    [Fact]
    public async Task Help_without_arguments_runs_every_permitted_summary()
    {
        string config = $"""
            accounts ALL {Echo("acct")} summary=summary ANYUSER
            backup create {Echo("backup")} summary=usage ANYUSER
            secret ALL {Echo("secret")} summary=summary princ:root@R
            nosummary ALL {Echo("plain")} ANYUSER
            """;
        var (outcome, output) = await Run(new CommandRunner(CommandConfiguration.Parse(config, "t")), Invocations.Make("help"));
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal("acct[summary] cmd=summary\nbackup[usage create] cmd=usage\n", output.Text(1));
    }

    [Fact]
    public async Task Summary_status_is_the_last_failure_and_no_summary_is_unknown_command()
    {
        string fail = dir.Script("fail", "exit 3");
        string config = $"a ALL {fail} summary=s ANYUSER\nb ALL {Echo("ok")} summary=s ANYUSER\n";
        Assert.Equal(new CommandOutcome.Exited(3), (await Run(new CommandRunner(CommandConfiguration.Parse(config, "t")), Invocations.Make("help"))).Outcome);
        var none = new CommandRunner(CommandConfiguration.Parse($"a ALL {fail} summary=s princ:x@R\n", "t"));
        Assert.Equal(new CommandOutcome.Failed(5, "Unknown command"), (await Run(none, Invocations.Make("help"))).Outcome);
    }

    [Fact]
    public async Task Help_command_runs_the_help_argument_with_the_optional_subcommand()
    {
        string config = $"""
            accounts create {Echo("acct")} help=explain ANYUSER
            accounts ALL {Echo("acct")} help=usage ANYUSER
            nohelp ALL {Echo("nohelp")} ANYUSER
            secret ALL {Echo("secret")} help=h princ:root@R
            """;
        var runner = new CommandRunner(CommandConfiguration.Parse(config, "t"));
        var (outcome, output) = await Run(runner, Invocations.Make("help", "accounts", "create"));
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal("acct[explain create] cmd=help\n", output.Text(1));
        Assert.Equal("acct[usage] cmd=help\n", (await Run(runner, Invocations.Make("help", "accounts"))).Output.Text(1));
        Assert.Equal(new CommandOutcome.Failed(10, "No help defined for command"), (await Run(runner, Invocations.Make("help", "nohelp"))).Outcome);
        Assert.Equal(new CommandOutcome.Failed(6, "Access denied"), (await Run(runner, Invocations.Make("help", "secret"))).Outcome);
        Assert.Equal(new CommandOutcome.Failed(5, "Unknown command"), (await Run(runner, Invocations.Make("help", "nothing"))).Outcome);
        Assert.Equal(new CommandOutcome.Failed(7, "Too many arguments for help command"), (await Run(runner, Invocations.Make("help", "a", "b", "c"))).Outcome);
    }

    [Fact]
    public async Task A_configured_help_command_takes_precedence()
    {
        var runner = new CommandRunner(CommandConfiguration.Parse($"help ALL {Echo("own")} ANYUSER\na ALL /bin/echo summary=s ANYUSER\n", "t"));
        Assert.Equal("own[] cmd=help\n", (await Run(runner, Invocations.Make("help"))).Output.Text(1));
    }

    [Fact]
    public async Task Zeromq_lines_resolve_to_their_line_and_go_to_the_zeromq_backend()
    {
        var config = CommandConfiguration.Parse("db ALL tcp://127.0.0.1:5555 type=zeromq timeout=5 ANYUSER", "t");
        var plain = new CommandRunner(config);
        CommandResolution resolution = plain.Resolve(Invocations.Make("db", "query"));
        Assert.Equal(ResolutionKind.Command, resolution.Kind);
        Assert.Equal("tcp://127.0.0.1:5555", resolution.Line!.Program);
        Assert.Equal(BackendType.ZeroMq, resolution.Line.Options.Type);
        Assert.Equal(new CommandOutcome.Failed(1, "Internal failure"), (await Run(plain, Invocations.Make("db", "query"))).Outcome);

        CommandLine? seen = null;
        var withBackend = new CommandRunner(config, new CommandRunnerOptions
        {
            ZeroMqBackend = async (line, invocation, stdin, output, ct) =>
            {
                seen = line;
                await output.WriteAsync(1, Encoding.UTF8.GetBytes($"zmq {invocation.Subcommand}"), ct);
                return new CommandOutcome.Exited(23);
            },
        });
        var (outcome, recorded) = await Run(withBackend, Invocations.Make("db", "query"));
        Assert.Equal(new CommandOutcome.Exited(23), outcome);
        Assert.Equal("zmq query", recorded.Text(1));
        Assert.Same(config.Lines[0], seen);
    }

    [Fact]
    public async Task Sudo_option_prefixes_sudo_u_user_and_the_full_program_path()
    {
        // A stand-in for sudo that records its argv; the real sudo is not installed here.
        string fakeSudo = dir.Script("sudo", "for a in \"$@\"; do printf '%s|' \"$a\"; done");
        var runner = new CommandRunner(CommandConfiguration.Parse("x ALL /usr/local/bin/tool sudo=#42 ANYUSER", "t"), new CommandRunnerOptions { SudoPath = fakeSudo });
        var (outcome, output) = await Run(runner, Invocations.Make("x", "sub", "arg"));
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal("-u|#42|--|/usr/local/bin/tool|sub|arg|", output.Text(1));
    }

    [Fact]
    public void Log_format_masks_logmask_and_stdin_arguments()
    {
        var line = CommandConfiguration.Parse("user passwd /bin/x logmask=3,4 ANYUSER\nkey put /bin/x stdin=last ANYUSER\n", "t").Lines;
        Assert.Equal("user passwd alice **MASKED** **MASKED**", CommandLogFormatter.Format(Invocations.Make("user", "passwd", "alice", "old", "new"), line[0]));
        Assert.Equal("key put name **DATA**", CommandLogFormatter.Format(Invocations.Make("key", "put", "name", "secret"), line[1]));
        Assert.Equal("a b.c", CommandLogFormatter.Format(Invocations.Make("a", "b\u0001c"), null));
    }

    [Fact]
    public void Log_format_cuts_a_long_command_line_at_the_limit_and_marks_the_cut()
    {
        string big = new('x', 10_000);
        string cut = CommandLogFormatter.Format(Invocations.Make("cmd", "sub", big, "tail"), null, maxLength: 100);
        Assert.Equal(100, cut.Length);
        Assert.StartsWith("cmd sub xxx", cut, StringComparison.Ordinal);
        Assert.EndsWith("...", cut, StringComparison.Ordinal);
        // Exactly at the limit, nothing left out: not marked.
        Assert.Equal("cmd sub abc", CommandLogFormatter.Format(Invocations.Make("cmd", "sub", "abc"), null, maxLength: 11));
        // A mask past the limit still cuts; a masked argument is never shown in part.
        var line = CommandConfiguration.Parse("cmd sub /bin/x logmask=2 ANYUSER\n", "t").Lines[0];
        string masked = CommandLogFormatter.Format(Invocations.Make("cmd", "sub", "password123", "more"), line, maxLength: 64);
        Assert.Equal("cmd sub **MASKED** more", masked);
        Assert.DoesNotContain("password", CommandLogFormatter.Format(Invocations.Make("cmd", "sub", "password123"), line, maxLength: 12), StringComparison.Ordinal);
    }

    [Fact]
    public void IsAuthorized_is_available_to_the_gateway()
    {
        var config = CommandConfiguration.Parse("a ALL /bin/x princ:bob@R anyuser:anonymous", "t");
        var runner = new CommandRunner(config);
        Assert.True(runner.IsAuthorized(config.Lines[0], "bob@R"));
        Assert.True(runner.IsAuthorized(config.Lines[0], "anyone", anonymous: true));
    }
}
