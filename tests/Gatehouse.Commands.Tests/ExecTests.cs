using System.Text;

namespace Gatehouse.Commands.Tests;

public sealed class ExecTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private static CommandRunner Runner(string config) => new(CommandConfiguration.Parse(config, "test.conf"));

    private static async Task<(CommandOutcome Outcome, RecordingOutput Output)> Run(CommandRunner runner, CommandInvocation invocation, Stream? stdin = null)
    {
        var output = new RecordingOutput();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        CommandOutcome outcome = await runner.RunAsync(invocation, stdin, output, cts.Token);
        return (outcome, output);
    }

    /// <summary>A script printing each argument followed by a NUL byte, so arguments are compared byte for byte.</summary>
    private string ArgsScript() => dir.Script("args", "for a in \"$@\"; do printf '%s\\0' \"$a\"; done");

    private static List<byte[]> SplitNul(byte[] data)
    {
        var result = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] == 0)
            {
                result.Add(data[start..i]);
                start = i + 1;
            }
        }

        Assert.Equal(data.Length, start);
        return result;
    }

    [Fact]
    public async Task Argv0_is_the_basename_of_the_program()
    {
        string probe = Path.Combine(dir.Path, "gh-argv0-probe");
        File.Copy("/usr/bin/env", probe);
        File.SetUnixFileMode(probe, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var (outcome, output) = await Run(Runner($"probe ALL {probe} ANYUSER"), Invocations.Make("probe", "--bogus-option"));
        Assert.Equal(new CommandOutcome.Exited(125), outcome);
        // GNU env names itself by argv[0] in its messages: the basename, not the path we executed.
        Assert.StartsWith("gh-argv0-probe: unrecognized option '--bogus-option'", output.Text(2));
    }

    [Fact]
    public async Task Arguments_follow_the_subcommand_and_are_binary_safe()
    {
        byte[][] args =
        [
            "sub"u8.ToArray(),
            [0xff, 0xfe, 0x80, (byte)'x'],
            "two words"u8.ToArray(),
            [],
            "line\nbreak"u8.ToArray(),
            "*"u8.ToArray(),
            "$(touch /tmp/gatehouse-never)"u8.ToArray(),
        ];
        var invocation = Invocations.Make("args") with { Arguments = [.. args.Select(a => (ReadOnlyMemory<byte>)a)] };
        var (outcome, output) = await Run(Runner($"args ALL {ArgsScript()} ANYUSER"), invocation);
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal(args, SplitNul(output.Bytes(1)));
        Assert.False(File.Exists("/tmp/gatehouse-never"));
    }

    [Fact]
    public async Task EMPTY_line_runs_without_a_subcommand()
    {
        var (_, output) = await Run(Runner($"args EMPTY {ArgsScript()} ANYUSER"), Invocations.Make("args"));
        Assert.Empty(output.Bytes(1));
    }

    [Fact]
    public async Task Environment_has_every_remctl_variable_and_the_parent_environment()
    {
        Environment.SetEnvironmentVariable("GATEHOUSE_TEST_PARENT_VAR", "inherited");
        Environment.SetEnvironmentVariable("NOTIFY_SOCKET", "/run/should-not-leak");
        Environment.SetEnvironmentVariable("LISTEN_FDS", "3");
        var (outcome, output) = await Run(Runner("showenv EMPTY /usr/bin/env ANYUSER"), Invocations.Make("showenv"));
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        string[] env = output.Text(1).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("REMOTE_USER=alice@EXAMPLE.ORG", env);
        Assert.Contains("REMUSER=alice@EXAMPLE.ORG", env);
        Assert.Contains("REMOTE_ADDR=192.0.2.7", env);
        Assert.Contains("REMOTE_HOST=client.example.org", env);
        Assert.Contains("REMCTL_COMMAND=showenv", env);
        Assert.Contains("REMOTE_EXPIRES=1900000000", env);
        Assert.Contains("GATEHOUSE_TEST_PARENT_VAR=inherited", env);
        Assert.DoesNotContain(env, e => e.StartsWith("NOTIFY_SOCKET=", StringComparison.Ordinal));
        Assert.DoesNotContain(env, e => e.StartsWith("LISTEN_FDS=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_host_address_and_expiry_are_not_set_nor_inherited()
    {
        Environment.SetEnvironmentVariable("REMOTE_EXPIRES", "leaked");
        var invocation = Invocations.Make("showenv") with { RemoteHost = null, RemoteAddress = null, Expires = null };
        var (_, output) = await Run(Runner("showenv EMPTY /usr/bin/env ANYUSER"), invocation);
        string[] env = output.Text(1).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(env, e => e.StartsWith("REMOTE_HOST=", StringComparison.Ordinal));
        Assert.DoesNotContain(env, e => e.StartsWith("REMOTE_ADDR=", StringComparison.Ordinal));
        Assert.DoesNotContain(env, e => e.StartsWith("REMOTE_EXPIRES=", StringComparison.Ordinal));
        Assert.Contains("REMOTE_USER=alice@EXAMPLE.ORG", env);
    }

    [Fact]
    public async Task Working_directory_is_root_and_signals_are_default()
    {
        // Shell builtins only: a shell blocks every signal while it forks a child, so a forked grep
        // could read the shell's mask in that window.
        string script = dir.Script("where", "pwd; while IFS= read -r l; do case $l in SigIgn*|SigBlk*) echo \"$l\";; esac; done < /proc/$$/status");
        var (_, output) = await Run(Runner($"where EMPTY {script} ANYUSER"), Invocations.Make("where"));
        string[] lines = output.Text(1).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/", lines[0]);
        Assert.Contains("SigIgn:\t0000000000000000", lines);
        Assert.Contains("SigBlk:\t0000000000000000", lines);
    }

    [Fact]
    public async Task MergeOutput_gives_stdout_and_stderr_one_socket_so_everything_is_stream_1_in_the_programs_order()
    {
        string script = dir.Script("both", "for i in 1 2 3 4 5; do echo \"err $i\" >&2; echo \"out $i\"; done; [ /proc/self/fd/1 -ef /proc/self/fd/2 ] && echo same");
        var (outcome, output) = await Run(Runner($"both EMPTY {script} ANYUSER"), Invocations.Make("both") with { MergeOutput = true });
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal("err 1\nout 1\nerr 2\nout 2\nerr 3\nout 3\nerr 4\nout 4\nerr 5\nout 5\nsame\n", output.Text(1));
        Assert.Empty(output.Bytes(2));

        var (_, separate) = await Run(Runner($"both EMPTY {script} ANYUSER"), Invocations.Make("both"));
        Assert.Equal("out 1\nout 2\nout 3\nout 4\nout 5\n", separate.Text(1));
        Assert.Equal("err 1\nerr 2\nerr 3\nerr 4\nerr 5\n", separate.Text(2));
    }

    [Fact]
    public async Task Only_standard_descriptors_are_open_in_the_child()
    {
        string script = dir.Script("fds", "ls /proc/$$/fd");
        var (_, output) = await Run(Runner($"fds EMPTY {script} ANYUSER"), Invocations.Make("fds"));
        // 0-2, plus the descriptor sh opened to read the script itself (and ls's own directory handle is in ls, not sh).
        int[] fds = [.. output.Text(1).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
        Assert.Contains(0, fds);
        Assert.Contains(1, fds);
        Assert.Contains(2, fds);
        Assert.True(fds.Length <= 4, $"unexpected open descriptors: {string.Join(',', fds)}");
    }

    [Fact]
    public async Task Stdin_last_moves_the_last_argument_to_stdin()
    {
        string script = dir.Script("in", "for a in \"$@\"; do printf 'arg:%s\\n' \"$a\"; done; printf 'stdin:'; cat");
        byte[] secret = [.. "pass\0word\n"u8.ToArray()];
        var invocation = Invocations.Make("in", "set", "alice") with { Arguments = [(ReadOnlyMemory<byte>)"set"u8.ToArray(), (ReadOnlyMemory<byte>)"alice"u8.ToArray(), secret] };
        var (outcome, output) = await Run(Runner($"in ALL {script} stdin=last ANYUSER"), invocation);
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal([.. "arg:set\narg:alice\nstdin:"u8.ToArray(), .. secret], output.Bytes(1));
    }

    [Fact]
    public async Task Stdin_number_moves_that_argument_and_subcommand_counts_as_one()
    {
        string script = dir.Script("in", "for a in \"$@\"; do printf 'arg:%s\\n' \"$a\"; done; printf 'stdin:'; cat");
        var (_, output) = await Run(Runner($"in ALL {script} stdin=2 ANYUSER"), Invocations.Make("in", "sub", "data", "tail"));
        Assert.Equal("arg:sub\narg:tail\nstdin:data", output.Text(1));
        var (_, first) = await Run(Runner($"in ALL {script} stdin=1 ANYUSER"), Invocations.Make("in", "sub", "x"));
        Assert.Equal("arg:x\nstdin:sub", first.Text(1));
    }

    [Fact]
    public async Task Stdin_last_without_arguments_passes_nothing()
    {
        string script = dir.Script("in", "printf 'n=%s stdin:' $#; cat");
        var (_, output) = await Run(Runner($"in ALL {script} stdin=last ANYUSER"), Invocations.Make("in"));
        Assert.Equal("n=0 stdin:", output.Text(1));
        var (_, beyond) = await Run(Runner($"in ALL {script} stdin=3 ANYUSER"), Invocations.Make("in", "a", "b"));
        Assert.Equal("n=2 stdin:", beyond.Text(1));
    }

    [Fact]
    public async Task Caller_stream_is_stdin_only_when_the_line_allows_it_and_no_argument_was_moved()
    {
        string script = dir.Script("in", "printf 'stdin:'; cat");
        using var allowed = new MemoryStream("streamed"u8.ToArray());
        var (_, output) = await Run(Runner($"in ALL {script} stdin=last ANYUSER"), Invocations.Make("in"), allowed);
        Assert.Equal("stdin:streamed", output.Text(1));

        using var notAllowed = new MemoryStream("streamed"u8.ToArray());
        var (_, devnull) = await Run(Runner($"in ALL {script} ANYUSER"), Invocations.Make("in"), notAllowed);
        Assert.Equal("stdin:", devnull.Text(1));
        Assert.Equal(0, notAllowed.Position);
    }

    [Fact]
    public async Task Large_stdin_argument_is_delivered_completely()
    {
        byte[] big = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(big);
        var invocation = Invocations.Make("in") with { Arguments = [(ReadOnlyMemory<byte>)"sub"u8.ToArray(), (ReadOnlyMemory<byte>)big] };
        var (_, output) = await Run(Runner($"in ALL {dir.Script("catin", "cat")} stdin=2 ANYUSER"), invocation);
        Assert.Equal(big, output.Bytes(1));
    }

    [Fact]
    public async Task Program_that_ignores_stdin_still_completes()
    {
        byte[] big = new byte[8 * 1024 * 1024];
        var invocation = Invocations.Make("in") with { Arguments = [(ReadOnlyMemory<byte>)"sub"u8.ToArray(), (ReadOnlyMemory<byte>)big] };
        string script = dir.Script("noread", "echo done");
        var (outcome, output) = await Run(Runner($"in ALL {script} stdin=2 ANYUSER"), invocation);
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal("done\n", output.Text(1));
    }

    [Fact]
    public async Task Exit_codes_and_signals_are_reported()
    {
        string script = dir.Script("exit", "case \"$1\" in code) exit 42;; signal) kill -KILL $$;; esac");
        var runner = Runner($"x ALL {script} ANYUSER");
        Assert.Equal(new CommandOutcome.Exited(42), (await Run(runner, Invocations.Make("x", "code"))).Outcome);
        Assert.Equal(new CommandOutcome.Exited(-1) { Signal = 9 }, (await Run(runner, Invocations.Make("x", "signal"))).Outcome);
    }

    [Fact]
    public async Task Stdout_and_stderr_are_kept_apart()
    {
        string script = dir.Script("both", "echo out; echo err >&2; echo out2");
        var (_, output) = await Run(Runner($"x ALL {script} ANYUSER"), Invocations.Make("x"));
        Assert.Equal("out\nout2\n", output.Text(1));
        Assert.Equal("err\n", output.Text(2));
        Assert.False(output.SawConcurrentWrites);
    }

    [Fact]
    public async Task Output_is_streamed_while_the_program_runs()
    {
        string go = Path.Combine(dir.Path, "go");
        string script = dir.Script("live", $"echo first; while [ ! -e {go} ]; do sleep 0.02; done; echo second");
        var output = new CallbackOutput(text =>
        {
            if (text.Contains("first", StringComparison.Ordinal))
            {
                File.WriteAllText(go, string.Empty); // the program only finishes once we have seen its first line
            }
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        CommandOutcome outcome = await Runner($"x ALL {script} timeout=15 ANYUSER").RunAsync(Invocations.Make("x"), null, output, cts.Token);
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal("first\nsecond\n", output.All);
    }

    [Fact]
    public async Task Background_grandchild_holding_stdout_does_not_block_completion()
    {
        string pidFile = Path.Combine(dir.Path, "bg.pid");
        string script = dir.Script("bg", $"sleep 30 & echo $! > {pidFile}; echo started");
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var (outcome, output) = await Run(Runner($"x ALL {script} ANYUSER"), Invocations.Make("x"));
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal("started\n", output.Text(1));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
        ProcessGroups.KillLeftover(int.Parse(File.ReadAllText(pidFile).Trim()));
    }

    [Fact]
    public async Task A_missing_program_reports_why_on_stderr_with_status_255_as_remctld_does()
    {
        var (outcome, output) = await Run(Runner("x ALL /nonexistent/program ANYUSER"), Invocations.Make("x"));
        Assert.Equal(new CommandOutcome.Exited(255), outcome);
        Assert.Equal("remctld: cannot execute command: No such file or directory\n", output.Text(2));
        Assert.Equal(string.Empty, output.Text(1));
    }

    [Fact]
    public async Task An_argument_over_the_kernels_limit_reports_e2big_on_stderr_with_status_255()
    {
        string script = dir.Script("ok", "echo ran");
        var huge = new string('a', 200 * 1024); // over MAX_ARG_STRLEN (128 KiB) for one argument
        var (outcome, output) = await Run(Runner($"x ALL {script} ANYUSER"), Invocations.Make("x", huge));
        Assert.Equal(new CommandOutcome.Exited(255), outcome);
        Assert.Equal("remctld: cannot execute command: Argument list too long\n", output.Text(2));
    }

    [Fact]
    public async Task Nul_in_a_plain_argument_is_bad_command_but_allowed_in_the_stdin_argument()
    {
        var nul = (ReadOnlyMemory<byte>)"a\0b"u8.ToArray();
        var plain = Invocations.Make("x") with { Arguments = [(ReadOnlyMemory<byte>)"sub"u8.ToArray(), nul] };
        Assert.Equal(new CommandOutcome.Failed(4, "Invalid command token"), (await Run(Runner("x ALL /bin/cat ANYUSER"), plain)).Outcome);
        string catStdin = dir.Script("catin", "cat");
        var (outcome, output) = await Run(Runner($"x ALL {catStdin} stdin=2 ANYUSER"), plain);
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal("a\0b"u8.ToArray(), output.Bytes(1));
        var badSub = Invocations.Make("x") with { Arguments = [nul] };
        Assert.Equal(new CommandOutcome.Failed(4, "Invalid command token"), (await Run(Runner("x ALL /bin/cat stdin=1 ANYUSER"), badSub)).Outcome);
    }

    private sealed class CallbackOutput(Action<string> onText) : ICommandOutput
    {
        private readonly StringBuilder all = new();

        public string All
        {
            get
            {
                lock (all)
                {
                    return all.ToString();
                }
            }
        }

        public ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            string text = Encoding.UTF8.GetString(data.Span);
            lock (all)
            {
                all.Append(text);
            }

            onText(text);
            return ValueTask.CompletedTask;
        }
    }
}
