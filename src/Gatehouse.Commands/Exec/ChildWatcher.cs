using Gatehouse.Commands.Exec.Native;

namespace Gatehouse.Commands.Exec;

/// <summary>
/// Tells when a spawned child has exited, WITHOUT reaping it: the owner reaps with
/// <c>waitpid(pid)</c> when it is ready. Keeping the exited leader as a zombie until then guarantees
/// that its PID (which is also the process group ID) cannot be reused while the owner may still
/// signal the group.
/// </summary>
/// <remarks>
/// <para>
/// One background thread polls a pidfd (Linux 5.3+) per watched child plus a wake-up pipe. When a
/// child cannot be watched that way (pidfd_open fails, for example with EMFILE when descriptors run
/// out, or the polling thread cannot start), that child alone gets a dedicated thread blocked in
/// <c>waitid(P_PID, pid, WEXITED | WNOWAIT)</c>, which also does not reap; the next child tries a
/// pidfd again. When neither works, the child is killed (its whole process group) and reaped, and
/// <see cref="WhenExited"/> throws: a child nobody watches would run on unsupervised and stay a
/// zombie until the gateway exits.
/// </para>
/// <para>
/// The polling loop retries poll only on EINTR. Any other failure (or any exception) hands every
/// child it watched to a waiter thread of its own and ends the loop; the next child starts a new one.
/// Nothing here touches children it did not spawn, so the .NET runtime's own reaping of
/// <see cref="System.Diagnostics.Process"/> children is unaffected.
/// </para>
/// </remarks>
internal sealed unsafe class ChildWatcher
{
    private readonly ChildWatcherSystem system;
    private readonly Lock gate = new();
    private readonly Dictionary<int, (int Pid, TaskCompletionSource Exited)> watched = [];
    private int wakeRead = -1;
    private int wakeWrite = -1;
    private bool started;

    /// <summary>A watcher over <paramref name="system"/> (tests pass one that fails on purpose).</summary>
    internal ChildWatcher(ChildWatcherSystem system)
    {
        this.system = system;
    }

    /// <summary>The process-wide watcher.</summary>
    public static ChildWatcher Instance { get; } = new(ChildWatcherSystem.Real);

    /// <summary>Returns a task that completes once <paramref name="pid"/> has exited (it is then a zombie, not yet reaped).</summary>
    /// <exception cref="SpawnException">The child could not be watched at all; it has been killed and reaped.</exception>
    public Task WhenExited(int pid)
    {
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int pidfd = system.PidfdOpen(pid, out int errno);
        if (pidfd >= 0)
        {
            try
            {
                lock (gate)
                {
                    EnsureStartedUnsynchronized();
                    watched.Add(pidfd, (pid, exited));
                    WakeUnsynchronized(); // Under the lock: the loop may close the pipe when it ends.
                }

                return exited.Task;
            }
            catch (Exception e)
            {
                // No polling thread (pipe2 or thread start failed): this child gets a waiter thread below.
                _ = system.Close(pidfd); // Never added to the set: ours to close; nothing to do if it fails.
                errno = e is ChildWatcherException cwe ? cwe.Errno : 0;
            }
        }

        if (StartWaiter(pid, exited))
        {
            return exited.Task;
        }

        KillAndReap(pid);
        throw new SpawnException($"cannot watch child process {pid} (pidfd_open: {(errno == 0 ? "unavailable" : System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno))}; no thread could be started); it was killed", errno);
    }

    /// <summary>Starts a thread blocked in waitid for <paramref name="pid"/>; false when no thread can be started.</summary>
    private bool StartWaiter(int pid, TaskCompletionSource exited)
    {
        try
        {
            system.StartThread(() => BlockUntilExited(pid, exited), $"gatehouse-wait-{pid}");
            return true;
        }
        catch (Exception)
        {
            return false; // OutOfMemoryException or ThreadStartException: the caller kills the child.
        }
    }

    private void BlockUntilExited(int pid, TaskCompletionSource exited)
    {
        while (system.WaitExited(pid, out int errno) < 0 && errno == Libc.EINTR)
        {
            // Interrupted by a signal: wait again. Any other error (ECHILD: reaped elsewhere) ends the wait.
        }

        exited.TrySetResult();
    }

    /// <summary>Kills the child's process group and reaps the child: used only when it cannot be watched.</summary>
    private static void KillAndReap(int pid)
    {
        try
        {
            ProcessGroup.Signal(pid, Libc.SIGKILL);
        }
        catch (IOException)
        {
            // kill(2) failing with anything but ESRCH (EPERM) leaves nothing better to try than the reap below.
        }

        ProcessGroup.Reap(pid); // SIGKILL cannot be caught: this returns as soon as the kernel has ended it.
    }

    private void EnsureStartedUnsynchronized()
    {
        if (started)
        {
            return;
        }

        if (system.Pipe(out int read, out int write, out int errno) < 0)
        {
            throw new ChildWatcherException($"pipe2 failed: errno {errno}", errno);
        }

        try
        {
            system.StartThread(Run, "gatehouse-child-watcher");
        }
        catch
        {
            _ = system.Close(read); // The thread never ran: nobody else has these descriptors.
            _ = system.Close(write);
            throw;
        }

        wakeRead = read;
        wakeWrite = write;
        started = true;
    }

    private void WakeUnsynchronized()
    {
        byte one = 1;
        _ = system.Write(wakeWrite, &one, 1); // Non-blocking: a full pipe already guarantees a wake-up, so the result does not matter.
    }

    private void Run()
    {
        int wake;
        lock (gate)
        {
            wake = wakeRead;
        }

        try
        {
            Loop(wake);
        }
        catch (Exception e)
        {
            // Poll failed with something other than EINTR, or something unexpected was thrown: never let
            // it end the process. The children go to waiter threads; the next child starts a new loop.
            HandOver(e);
        }
    }

    private void Loop(int wake)
    {
        var fds = new List<int>();
        byte* drain = stackalloc byte[64];
        while (true)
        {
            fds.Clear();
            lock (gate)
            {
                fds.AddRange(watched.Keys);
            }

            var poll = new Libc.PollFd[fds.Count + 1];
            poll[0] = new Libc.PollFd { Fd = wake, Events = Libc.POLLIN };
            for (int i = 0; i < fds.Count; i++)
            {
                poll[i + 1] = new Libc.PollFd { Fd = fds[i], Events = Libc.POLLIN };
            }

            fixed (Libc.PollFd* p = poll)
            {
                if (system.Poll(p, (nuint)poll.Length, out int errno) < 0)
                {
                    if (errno == Libc.EINTR)
                    {
                        continue; // Interrupted by a signal: poll again.
                    }

                    throw new ChildWatcherException($"poll failed: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}", errno);
                }
            }

            if ((poll[0].Revents & Libc.POLLIN) != 0)
            {
                _ = system.Read(wake, drain, 64); // Only the wake-up matters, not the bytes.
            }

            for (int i = 1; i < poll.Length; i++)
            {
                if (poll[i].Revents == 0)
                {
                    continue;
                }

                (int Pid, TaskCompletionSource Exited) child;
                bool found;
                lock (gate)
                {
                    found = watched.Remove(poll[i].Fd, out child);
                }

                _ = system.Close(poll[i].Fd); // Closing a pidfd cannot fail in a way we could act on.
                if (found)
                {
                    child.Exited.TrySetResult();
                }
            }
        }
    }

    /// <summary>
    /// Ends this loop after <paramref name="failure"/>: every watched child moves to a waiter thread of
    /// its own (or, when none can start, its group is killed and its exit awaited here, unreaped, so the
    /// owner still reaps it), and the next <see cref="WhenExited"/> starts a fresh loop.
    /// </summary>
    private void HandOver(Exception failure)
    {
        List<(int Pid, TaskCompletionSource Exited)> children;
        lock (gate)
        {
            children = [.. watched.Values];
            foreach (int pidfd in watched.Keys)
            {
                _ = system.Close(pidfd); // This loop owned them; it is ending.
            }

            watched.Clear();
            _ = system.Close(wakeRead);
            _ = system.Close(wakeWrite);
            wakeRead = wakeWrite = -1;
            started = false;
        }

        LastLoopFailure = failure;
        foreach (var (pid, exited) in children)
        {
            if (!StartWaiter(pid, exited))
            {
                try
                {
                    ProcessGroup.Signal(pid, Libc.SIGKILL);
                }
                catch (IOException)
                {
                    // Nothing better to do than to wait below.
                }

                BlockUntilExited(pid, exited);
            }
        }
    }

    /// <summary>Why the last polling loop ended, for tests and diagnostics (null while none has).</summary>
    internal Exception? LastLoopFailure { get; private set; }
}

/// <summary>A system call of the watcher failed (carries its errno).</summary>
internal sealed class ChildWatcherException(string message, int errno) : IOException(message)
{
    /// <summary>The errno value.</summary>
    public int Errno { get; } = errno;
}
