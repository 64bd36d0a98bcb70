using Gatehouse.Commands.Configuration;

namespace Gatehouse.Commands.Tests;

public sealed class TimeoutTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>A program that starts a grandchild sleep in its own group, records both PIDs, and waits.</summary>
    private string Spawner(bool ignoreTerm = false) => dir.Script(
        "spawner",
        (ignoreTerm ? "trap '' TERM\n" : string.Empty)
        + $"echo $$ > {dir.Path}/leader.pid\nsleep 300 &\necho $! > {dir.Path}/child.pid\necho ready\nwait");

    private int ReadPid(string name) => int.Parse(File.ReadAllText(Path.Combine(dir.Path, name)).Trim());

    [Fact]
    public async Task Timeout_kills_the_whole_process_group()
    {
        var runner = new CommandRunner(CommandConfiguration.Parse($"slow ALL {Spawner()} timeout=1 ANYUSER", "t"), new CommandRunnerOptions { KillGracePeriod = TimeSpan.FromSeconds(2) });
        var output = new RecordingOutput();
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        CommandOutcome outcome = await runner.RunAsync(Invocations.Make("slow"), null, output, CancellationToken.None);
        Assert.Equal(new CommandOutcome.Exited(-1) { Signal = 15, TimedOut = true }, outcome);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.Equal("ready\n", output.Text(1));
        int leader = ReadPid("leader.pid");
        int child = ReadPid("child.pid");
        Assert.True(await ProcessGroups.Eventually(() => !ProcessGroups.IsAlive(leader), TimeSpan.FromSeconds(5)), "process group still alive");
        Assert.False(ProcessGroups.IsProcessAlive(child));
    }

    [Fact]
    public async Task Term_ignored_means_kill_after_the_grace_period()
    {
        var runner = new CommandRunner(CommandConfiguration.Parse($"slow ALL {Spawner(ignoreTerm: true)} timeout=1 ANYUSER", "t"), new CommandRunnerOptions { KillGracePeriod = TimeSpan.FromMilliseconds(500) });
        CommandOutcome outcome = await runner.RunAsync(Invocations.Make("slow"), null, new RecordingOutput(), CancellationToken.None);
        Assert.Equal(new CommandOutcome.Exited(-1) { Signal = 9, TimedOut = true }, outcome);
        int leader = ReadPid("leader.pid");
        Assert.True(await ProcessGroups.Eventually(() => !ProcessGroups.IsAlive(leader), TimeSpan.FromSeconds(5)), "process group still alive");
        Assert.False(ProcessGroups.IsProcessAlive(ReadPid("child.pid")));
    }

    [Fact]
    public async Task Default_timeout_applies_to_lines_without_one()
    {
        var runner = new CommandRunner(CommandConfiguration.Parse($"slow ALL {Spawner()} ANYUSER", "t"), new CommandRunnerOptions { DefaultTimeout = TimeSpan.FromMilliseconds(500), KillGracePeriod = TimeSpan.FromSeconds(1) });
        var outcome = Assert.IsType<CommandOutcome.Exited>(await runner.RunAsync(Invocations.Make("slow"), null, new RecordingOutput(), CancellationToken.None));
        Assert.True(outcome.TimedOut);
        Assert.True(await ProcessGroups.Eventually(() => !ProcessGroups.IsAlive(ReadPid("leader.pid")), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Cancellation_kills_the_group_then_throws()
    {
        var runner = new CommandRunner(CommandConfiguration.Parse($"slow ALL {Spawner()} ANYUSER", "t"), new CommandRunnerOptions { KillGracePeriod = TimeSpan.FromSeconds(2) });
        using var cts = new CancellationTokenSource();
        var output = new ReadyOutput();
        Task<CommandOutcome> run = runner.RunAsync(Invocations.Make("slow"), null, output, cts.Token);
        await output.Ready.WaitAsync(TimeSpan.FromSeconds(10));
        int leader = ReadPid("leader.pid");
        int child = ReadPid("child.pid");
        Assert.True(ProcessGroups.IsAlive(leader), "the check must see the running group");
        Assert.True(ProcessGroups.IsProcessAlive(child));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(await ProcessGroups.Eventually(() => !ProcessGroups.IsAlive(leader), TimeSpan.FromSeconds(5)), "process group still alive");
        Assert.False(ProcessGroups.IsProcessAlive(child));
    }

    [Fact]
    public async Task A_failing_consumer_kills_the_group_and_its_exception_propagates()
    {
        var runner = new CommandRunner(CommandConfiguration.Parse($"slow ALL {Spawner()} ANYUSER", "t"), new CommandRunnerOptions { KillGracePeriod = TimeSpan.FromSeconds(2) });
        var e = await Assert.ThrowsAsync<IOException>(() => runner.RunAsync(Invocations.Make("slow"), null, new ThrowingOutput(), CancellationToken.None));
        Assert.Equal("client went away", e.Message);
        Assert.True(await ProcessGroups.Eventually(() => !ProcessGroups.IsAlive(ReadPid("leader.pid")), TimeSpan.FromSeconds(5)));
    }

    private sealed class ReadyOutput : ICommandOutput
    {
        private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Ready => ready.Task;

        public ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            ready.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ThrowingOutput : ICommandOutput
    {
        public ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            throw new IOException("client went away");
    }
}
