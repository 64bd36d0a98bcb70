using System.Runtime.InteropServices;
using System.Text;
using Gatehouse.Commands.Exec;
using Gatehouse.Commands.Exec.Native;

namespace Gatehouse.Commands.Tests;

/// <summary>
/// Issue 12, fault 6: <see cref="ChildWatcher"/> when descriptors or threads run out. The children
/// are real processes; only the failing system calls are injected (<see cref="FailingSystem"/>).
/// </summary>
public sealed class ChildWatcherTests
{
    private static SpawnedChild Spawn(params string[] argv) => ProcessSpawner.Spawn(new SpawnRequest(
        argv[0], argv.Select(Encoding.UTF8.GetBytes).ToArray(), [], WithStdin: false, WorkingDirectory: "/"));

    /// <summary>True when <paramref name="pid"/> is no longer our child: reaped (waitpid says ECHILD), so no zombie is left.</summary>
    private static bool Reaped(int pid)
    {
        int result = Libc.WaitPid(pid, out _, Libc.WNOHANG);
        return result < 0 && Marshal.GetLastPInvokeError() == Libc.ECHILD;
    }

    [Fact]
    public void A_child_that_cannot_be_watched_is_killed_and_reaped_instead_of_left_a_zombie()
    {
        var system = new FailingSystem { PidfdErrno = Libc.EMFILE, ThreadsFail = true };
        var watcher = new ChildWatcher(system);
        using var child = Spawn("/bin/sleep", "300");
        try
        {
            var ex = Assert.Throws<SpawnException>(() => { _ = watcher.WhenExited(child.Pid); });
            Assert.Contains("killed", ex.Message, StringComparison.Ordinal);
            Assert.False(ProcessGroups.IsProcessAlive(child.Pid), "the child still runs");
            Assert.True(Reaped(child.Pid), "the child was not reaped");
        }
        finally
        {
            ProcessGroups.KillLeftover(child.Pid);
            ProcessGroup.Reap(child.Pid);
        }
    }

    [Fact]
    public async Task Without_a_polling_thread_the_child_gets_a_waiter_thread_and_no_descriptor_leaks()
    {
        // pidfd_open takes the last descriptor, then pipe2 for the polling loop fails with EMFILE.
        var system = new FailingSystem { PipeErrno = Libc.EMFILE };
        var watcher = new ChildWatcher(system);
        using var child = Spawn("/bin/sleep", "0.2");
        Task exited = watcher.WhenExited(child.Pid);
        Assert.Equal(["gatehouse-wait-" + child.Pid], system.ThreadNames);
        Assert.Equal(system.PidfdsOpened, system.PidfdsClosed);
        await exited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(ProcessGroup.Reap(child.Pid));
    }

    [Fact]
    public async Task One_failed_pidfd_open_does_not_give_every_later_child_a_thread_of_its_own()
    {
        var system = new FailingSystem { PidfdErrno = Libc.EMFILE, PidfdFailures = 1 };
        var watcher = new ChildWatcher(system);
        using var first = Spawn("/bin/sleep", "0.2");
        using var second = Spawn("/bin/sleep", "0.2");
        using var third = Spawn("/bin/sleep", "0.2");
        Task a = watcher.WhenExited(first.Pid);
        Task b = watcher.WhenExited(second.Pid);
        Task c = watcher.WhenExited(third.Pid);
        await Task.WhenAll(a, b, c).WaitAsync(TimeSpan.FromSeconds(10));
        // The failed call fell back to a waiter thread; the next two used pidfds and the one polling loop.
        Assert.Equal(["gatehouse-wait-" + first.Pid, "gatehouse-child-watcher"], system.ThreadNames);
        foreach (var child in new[] { first, second, third })
        {
            Assert.NotNull(ProcessGroup.Reap(child.Pid));
        }
    }

    [Fact]
    public async Task Poll_is_retried_after_EINTR()
    {
        var system = new FailingSystem { PollErrno = Libc.EINTR, PollFailures = 3 };
        var watcher = new ChildWatcher(system);
        using var child = Spawn("/bin/sleep", "0.2");
        await watcher.WhenExited(child.Pid).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(watcher.LastLoopFailure);
        Assert.NotNull(ProcessGroup.Reap(child.Pid));
    }

    [Fact]
    public async Task A_poll_error_other_than_EINTR_hands_the_children_to_waiter_threads_instead_of_spinning()
    {
        var system = new FailingSystem { PollErrno = Libc.EINVAL, PollFailures = int.MaxValue };
        var watcher = new ChildWatcher(system);
        using var child = Spawn("/bin/sleep", "0.3");
        await watcher.WhenExited(child.Pid).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(system.PollCalls, 1, 3); // not a busy loop
        Assert.Equal(Libc.EINVAL, Assert.IsType<ChildWatcherException>(watcher.LastLoopFailure).Errno);
        Assert.Contains("gatehouse-wait-" + child.Pid, system.ThreadNames);
        Assert.NotNull(ProcessGroup.Reap(child.Pid));

        // The next child starts a new loop (which fails the same way here, and hands it over again).
        using var next = Spawn("/bin/sleep", "0.1");
        await watcher.WhenExited(next.Pid).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(ProcessGroup.Reap(next.Pid));
        Assert.Equal(2, system.ThreadNames.Count(n => n == "gatehouse-child-watcher"));
    }

    [Fact]
    public async Task An_exception_in_the_polling_loop_does_not_end_the_process_and_the_child_is_still_seen_to_exit()
    {
        var system = new FailingSystem { PollThrows = true };
        var watcher = new ChildWatcher(system);
        using var child = Spawn("/bin/sleep", "0.2");
        await watcher.WhenExited(child.Pid).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsType<InvalidOperationException>(watcher.LastLoopFailure);
        Assert.NotNull(ProcessGroup.Reap(child.Pid));
    }

    [Fact]
    public async Task A_child_of_a_failed_loop_is_killed_when_no_waiter_thread_can_start_and_left_for_its_owner_to_reap()
    {
        var system = new FailingSystem { PollErrno = Libc.EINVAL, PollFailures = int.MaxValue, WaiterThreadsFail = true };
        var watcher = new ChildWatcher(system);
        using var child = Spawn("/bin/sleep", "300");
        try
        {
            await watcher.WhenExited(child.Pid).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(ProcessGroups.IsProcessAlive(child.Pid));
            int? status = ProcessGroup.Reap(child.Pid); // the owner's reap still works: not reaped behind its back
            Assert.Equal(Libc.SIGKILL, Libc.TermSignal(status!.Value));
        }
        finally
        {
            ProcessGroups.KillLeftover(child.Pid);
        }
    }

    /// <summary>Real system calls, except those a test makes fail.</summary>
    private sealed unsafe class FailingSystem : ChildWatcherSystem
    {
        private readonly List<string> threadNames = [];
        private int pidfdFailures;
        private int pollFailures;
        private int pollCalls;

        public int PidfdErrno { get; init; }

        public int PidfdFailures { get; init; } = int.MaxValue;

        public int PipeErrno { get; init; }

        public int PollErrno { get; init; }

        public int PollFailures { get; init; }

        public bool PollThrows { get; init; }

        /// <summary>No thread at all can start.</summary>
        public bool ThreadsFail { get; init; }

        /// <summary>Only the per-child waiter threads cannot start.</summary>
        public bool WaiterThreadsFail { get; init; }

        public int PidfdsOpened;

        public int PidfdsClosed;

        private readonly HashSet<int> pidfds = [];

        public IReadOnlyList<string> ThreadNames
        {
            get
            {
                lock (threadNames)
                {
                    return [.. threadNames];
                }
            }
        }

        public int PollCalls => Volatile.Read(ref pollCalls);

        public override int PidfdOpen(int pid, out int errno)
        {
            if (PidfdErrno != 0 && Interlocked.Increment(ref pidfdFailures) <= PidfdFailures)
            {
                errno = PidfdErrno;
                return -1;
            }

            int fd = base.PidfdOpen(pid, out errno);
            if (fd >= 0)
            {
                lock (pidfds)
                {
                    pidfds.Add(fd);
                    PidfdsOpened++;
                }
            }

            return fd;
        }

        public override int Close(int fd)
        {
            lock (pidfds)
            {
                if (pidfds.Remove(fd))
                {
                    PidfdsClosed++;
                }
            }

            return base.Close(fd);
        }

        public override int Pipe(out int read, out int write, out int errno)
        {
            if (PipeErrno != 0)
            {
                read = write = -1;
                errno = PipeErrno;
                return -1;
            }

            return base.Pipe(out read, out write, out errno);
        }

        public override int Poll(Libc.PollFd* fds, nuint count, out int errno)
        {
            Interlocked.Increment(ref pollCalls);
            if (PollThrows)
            {
                throw new InvalidOperationException("injected fault in the polling loop");
            }

            if (PollErrno != 0 && count > 1 && Interlocked.Increment(ref pollFailures) <= PollFailures)
            {
                errno = PollErrno;
                return -1;
            }

            return base.Poll(fds, count, out errno);
        }

        public override void StartThread(ThreadStart body, string name)
        {
            if (ThreadsFail || (WaiterThreadsFail && name.StartsWith("gatehouse-wait-", StringComparison.Ordinal)))
            {
                throw new OutOfMemoryException("injected: no thread can start");
            }

            lock (threadNames)
            {
                threadNames.Add(name);
            }

            base.StartThread(body, name);
        }
    }
}
