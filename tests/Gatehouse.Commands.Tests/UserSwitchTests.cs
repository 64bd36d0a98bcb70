using Gatehouse.Commands.Configuration;
using Gatehouse.Commands.Exec;
using Gatehouse.Commands.Exec.Native;

namespace Gatehouse.Commands.Tests;

/// <summary><c>user=</c> as remctld runs it (the tests run as root, as remctld would for user=).</summary>
public sealed class UserSwitchTests : IDisposable
{
    private readonly TempDir dir = new();

    public UserSwitchTests()
    {
        // The switched user must reach the scripts.
        File.SetUnixFileMode(dir.Path, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    public void Dispose() => dir.Dispose();

    private static async Task<(CommandOutcome Outcome, RecordingOutput Output)> Run(CommandRunner runner, CommandInvocation invocation)
    {
        var output = new RecordingOutput();
        CommandOutcome outcome = await runner.RunAsync(invocation, null, output, CancellationToken.None);
        return (outcome, output);
    }

    [Fact]
    public async Task A_user_line_runs_the_program_with_the_users_uid_gid_and_supplementary_groups_and_leaves_home_user_logname_as_remctld_does()
    {
        using var user = new ThrowawayUser();
        string script = dir.Script("who", "echo \"$(id -u) $(id -g) $(id -G) HOME=$HOME USER=$USER LOGNAME=$LOGNAME args=$*\"");
        string config = dir.File("remctl.conf", $"who ALL {script} user={user.Name} ANYUSER\nbyid ALL {script} user={user.Uid} ANYUSER\n");
        var runner = new CommandRunner(CommandConfiguration.Load(config));

        var (outcome, output) = await Run(runner, Invocations.Make("who", "x", "a b"));

        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        // remctld does not set HOME, USER or LOGNAME for user=: the program sees the server's own.
        string expected = $"{user.Uid} {user.Gid} {user.Gid} {user.ExtraGid} HOME={Environment.GetEnvironmentVariable("HOME")} USER={Environment.GetEnvironmentVariable("USER")} LOGNAME={Environment.GetEnvironmentVariable("LOGNAME")} args=x a b\n";
        Assert.Equal(expected, output.Text(1));
        Assert.Equal("", output.Text(2));
        Assert.Equal(expected, (await Run(runner, Invocations.Make("byid", "x", "a b"))).Output.Text(1));
    }

    [Fact]
    public async Task A_user_line_gives_the_program_remctlds_argv0_and_real_effective_and_saved_ids()
    {
        using var user = new ThrowawayUser();
        // coreutils name themselves by argv[0] in errors: remctld passes the file name, not the path.
        string status = dir.Script("status", "grep -E '^(Uid|Gid):' /proc/self/status | tr -s '\\t' ' '");
        string config = dir.File("remctl.conf", $"ls ALL /usr/bin/ls user={user.Name} ANYUSER\nstatus ALL {status} user={user.Name} ANYUSER\n");
        var runner = new CommandRunner(CommandConfiguration.Load(config));

        var (outcome, output) = await Run(runner, Invocations.Make("ls", "--bogus-option"));
        Assert.Equal(new CommandOutcome.Exited(2), outcome);
        Assert.StartsWith("ls: unrecognized option '--bogus-option'\n", output.Text(2), StringComparison.Ordinal);

        (outcome, output) = await Run(runner, Invocations.Make("status"));
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal($"Uid: {user.Uid} {user.Uid} {user.Uid} {user.Uid}\nGid: {user.Gid} {user.Gid} {user.Gid} {user.Gid}\n", output.Text(1));
    }

    [Fact]
    public async Task A_user_line_whose_program_cannot_be_executed_reports_it_as_remctld_does()
    {
        using var user = new ThrowawayUser();
        string secret = dir.Sub("private");
        string hidden = dir.Script("private/hidden", "echo ran");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string config = dir.File("remctl.conf", $"missing ALL {dir.Path}/nothing-here user={user.Name} ANYUSER\nhidden ALL {hidden} user={user.Name} ANYUSER\n");
        var runner = new CommandRunner(CommandConfiguration.Load(config));

        var (outcome, output) = await Run(runner, Invocations.Make("missing"));
        Assert.Equal(new CommandOutcome.Exited(255), outcome);
        Assert.Equal("remctld: cannot execute command: No such file or directory\n", output.Text(2));

        // Root could run it; the switched user cannot reach it.
        (outcome, output) = await Run(runner, Invocations.Make("hidden"));
        Assert.Equal(new CommandOutcome.Exited(255), outcome);
        Assert.Equal("remctld: cannot execute command: Permission denied\n", output.Text(2));
        Assert.Equal("", output.Text(1));
    }

    [Fact]
    public async Task A_gateway_not_running_as_root_answers_a_user_line_as_remctlds_failed_initgroups_without_starting_anything()
    {
        using var user = new ThrowawayUser();
        string marker = Path.Combine(dir.Path, "ran");
        string script = dir.Script("touch", $"touch {marker}");
        string config = dir.File("remctl.conf", $"x ALL {script} user={user.Name} ANYUSER\nself ALL {dir.Script("self", "id -u")} user={user.Name} ANYUSER\n");
        var logger = new ListLogger();
        var notRoot = new CommandRunner(CommandConfiguration.Load(config), new CommandRunnerOptions { EffectiveUid = () => 4242 }, logger);

        var (outcome, output) = await Run(notRoot, Invocations.Make("x"));

        Assert.Equal(new CommandOutcome.Exited(255), outcome);
        Assert.Equal($"remctld: cannot initgroups for {user.Name}: Operation not permitted\n", output.Text(2));
        Assert.False(File.Exists(marker));
        Assert.Contains(logger.Messages, m => m.EndsWith($"remctl.conf:1: cannot run command: user={user.Name} needs a switch to UID {user.Uid}, and the gateway is not running as root", StringComparison.Ordinal));

        // Running as that user already: nothing to switch, the program runs (remctld would fail here).
        var asUser = new CommandRunner(CommandConfiguration.Load(config), new CommandRunnerOptions { EffectiveUid = () => user.Uid });
        (outcome, output) = await Run(asUser, Invocations.Make("self"));
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal("0\n", output.Text(1)); // really root here: the hook only changes the decision
    }

    [Fact]
    public async Task A_user_line_without_the_switching_helper_fails_with_an_internal_error_and_a_log_line_naming_it()
    {
        using var user = new ThrowawayUser();
        string config = dir.File("remctl.conf", $"x ALL /bin/true user={user.Name} ANYUSER\n");
        var logger = new ListLogger();
        var runner = new CommandRunner(CommandConfiguration.Load(config), new CommandRunnerOptions { SetprivPath = "/nonexistent/setpriv" }, logger);

        var (outcome, output) = await Run(runner, Invocations.Make("x"));

        Assert.Equal(new CommandOutcome.Failed(1, "Internal failure"), outcome);
        Assert.Empty(output.Chunks);
        Assert.Contains(logger.Messages, m => m.EndsWith($"remctl.conf:1: cannot run command: user={user.Name} needs /nonexistent/setpriv, which does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_user_stops_the_load_with_file_and_line_as_in_remctld()
    {
        string config = dir.File("remctl.conf", "a ALL /bin/true user=root ANYUSER\nb ALL /bin/true user=gh-no-such-user ANYUSER\n");
        var e = Assert.Throws<ConfigurationException>(() => CommandConfiguration.Load(config));
        Assert.Equal($"{config}:2: invalid user value gh-no-such-user", e.Message);

        // Numbers must be positive (convert_number), so 0 is read as a name, and there is no user "0".
        File.WriteAllText(config, "a ALL /bin/true user=0 ANYUSER\n");
        Assert.Equal($"{config}:1: invalid user value 0", Assert.Throws<ConfigurationException>(() => CommandConfiguration.Load(config)).Message);
    }

    [Fact]
    public async Task A_user_line_parsed_without_loading_refuses_an_unknown_user_at_run_time()
    {
        var logger = new ListLogger();
        var runner = new CommandRunner(CommandConfiguration.Parse("ghost ALL /bin/true user=gh-no-such-user ANYUSER\n", "t"), null, logger);
        Assert.Equal(new CommandOutcome.Failed(1, "Internal failure"), (await Run(runner, Invocations.Make("ghost"))).Outcome);
        Assert.Contains(logger.Messages, m => m.EndsWith("t:1: cannot run command: invalid user value gh-no-such-user", StringComparison.Ordinal));
    }

    [Fact]
    public void The_switch_plan_follows_remctld_root_switches_uid_0_never_switches_and_a_non_root_gateway_is_refused()
    {
        static SystemUser? Lookup(string name) => name switch
        {
            "root" => new SystemUser("root", 0, 0),
            "svc" or "1001" => new SystemUser("svc", 1001, 1001),
            _ => null,
        };

        Assert.IsType<UserSwitchPlan.None>(UserSwitch.Plan("root", 0, Lookup));
        Assert.IsType<UserSwitchPlan.None>(UserSwitch.Plan("root", 1001, Lookup));
        Assert.IsType<UserSwitchPlan.None>(UserSwitch.Plan("svc", 1001, Lookup));
        Assert.Equal(new UserSwitchPlan.Switch(new SystemUser("svc", 1001, 1001)), UserSwitch.Plan("1001", 0, Lookup));
        var refused = Assert.IsType<UserSwitchPlan.NotPermitted>(UserSwitch.Plan("svc", 1000, Lookup));
        Assert.Equal("remctld: cannot initgroups for svc: Operation not permitted\n", refused.StderrLine);
        Assert.IsType<UserSwitchPlan.Unknown>(UserSwitch.Plan("nobody-here", 0, Lookup));
    }

    [Fact]
    public void The_system_user_database_is_read_through_nss_by_name_and_by_uid()
    {
        Assert.Equal(new SystemUser("root", 0, 0), Passwd.FindByName("root"));
        Assert.Equal("root", Passwd.FindById(0)?.Name);
        Assert.Null(Passwd.FindByName("gh-no-such-user"));
        Assert.Equal(Passwd.FindByName("nobody"), Passwd.Find(Passwd.FindByName("nobody")!.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
