using System.Text;
using Gatehouse.Commands.Exec;

namespace Gatehouse.Commands.Tests;

/// <summary>
/// Issue 12, fault 8, in process: the watchdog kills the groups still listed when its owner's end
/// of the socket closes (the real SIGKILL of a gateway is in Gatehouse.Cli.Tests).
/// </summary>
public sealed class OrphanGuardTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private static SpawnedChild Spawn(params string[] argv) => ProcessSpawner.Spawn(new SpawnRequest(
        argv[0], argv.Select(Encoding.UTF8.GetBytes).ToArray(), [], WithStdin: false, WorkingDirectory: "/"));

    [Fact]
    public async Task Groups_still_listed_when_the_owner_goes_away_are_killed_and_untracked_ones_are_left_alone()
    {
        var guard = new OrphanGuard();
        // A leader that runs sleep as a second member of its group: the whole group must go.
        string script = dir.Script("group", $"sleep 300 &\necho $! > {dir.Path}/member.pid\nwait");
        using var listed = Spawn(script);
        using var untracked = Spawn("/bin/sleep", "300");
        using var other = Spawn("/bin/sleep", "300");
        try
        {
            guard.Track(listed.Pid);
            guard.Track(untracked.Pid);
            guard.Track(other.Pid);
            guard.Untrack(untracked.Pid);
            guard.Untrack(other.Pid);
            guard.Track(other.Pid);
            guard.Untrack(other.Pid);
            Assert.True(await ProcessGroups.Eventually(() => File.Exists(Path.Combine(dir.Path, "member.pid")), TimeSpan.FromSeconds(5)));
            int member = int.Parse(File.ReadAllText(Path.Combine(dir.Path, "member.pid")).Trim());
            int watchdog = guard.WatchdogPid;
            Assert.True(ProcessGroups.IsProcessAlive(watchdog));

            guard.Abandon();
            Assert.True(await ProcessGroups.Eventually(() => !ProcessGroups.IsAlive(listed.Pid), TimeSpan.FromSeconds(5)), "the listed group survived");
            Assert.False(ProcessGroups.IsProcessAlive(member));
            Assert.True(await ProcessGroups.Eventually(() => !ProcessGroups.IsProcessAlive(watchdog), TimeSpan.FromSeconds(5)), "the watchdog did not exit");
            Assert.True(ProcessGroups.IsProcessAlive(untracked.Pid));
            Assert.True(ProcessGroups.IsProcessAlive(other.Pid));
        }
        finally
        {
            foreach (var child in new[] { listed, untracked, other })
            {
                ProcessGroups.KillLeftover(-child.Pid);
                ProcessGroup.Reap(child.Pid);
            }
        }
    }

    [Fact]
    public async Task A_killed_watchdog_is_replaced_and_the_new_one_knows_the_live_groups()
    {
        var guard = new OrphanGuard();
        using var child = Spawn("/bin/sleep", "300");
        try
        {
            guard.Track(child.Pid);
            int first = guard.WatchdogPid;
            ProcessGroups.KillLeftover(first);
            Assert.True(await ProcessGroups.Eventually(() => guard.WatchdogPid == 0, TimeSpan.FromSeconds(5)), "the dead watchdog was not noticed");

            using var second = Spawn("/bin/sleep", "300");
            guard.Track(second.Pid);
            Assert.NotEqual(0, guard.WatchdogPid);
            Assert.NotEqual(first, guard.WatchdogPid);
            guard.Abandon();
            Assert.True(await ProcessGroups.Eventually(() => !ProcessGroups.IsAlive(child.Pid) && !ProcessGroups.IsAlive(second.Pid), TimeSpan.FromSeconds(5)), "a group listed before the restart survived");
            ProcessGroup.Reap(second.Pid);
        }
        finally
        {
            ProcessGroups.KillLeftover(-child.Pid);
            ProcessGroup.Reap(child.Pid);
        }
    }
}
