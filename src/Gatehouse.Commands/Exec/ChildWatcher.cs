using System.Runtime.InteropServices;
using Gatehouse.Commands.Exec.Native;

namespace Gatehouse.Commands.Exec;

/// <summary>
/// Tells when a spawned child has exited, WITHOUT reaping it: the owner reaps with
/// <c>waitpid(pid)</c> when it is ready. Keeping the exited leader as a zombie until then guarantees
/// that its PID (which is also the process group ID) cannot be reused while the owner may still
/// signal the group.
/// </summary>
/// <remarks>
/// One background thread polls a pidfd (Linux 5.3+) per watched child plus a wake-up pipe. When
/// pidfd_open is unavailable, each child gets a dedicated thread blocked in
/// <c>waitid(P_PID, pid, WEXITED | WNOWAIT)</c>, which also does not reap. Neither touches children
/// it did not spawn, so the .NET runtime's own reaping of <see cref="System.Diagnostics.Process"/>
/// children is unaffected.
/// </remarks>
internal sealed unsafe class ChildWatcher
{
    private readonly Lock gate = new();
    private readonly Dictionary<int, TaskCompletionSource> watched = [];
    private int wakeRead = -1;
    private int wakeWrite = -1;
    private bool started;
    private bool pidfdUnavailable;

    private ChildWatcher()
    {
    }

    /// <summary>The process-wide watcher.</summary>
    public static ChildWatcher Instance { get; } = new();

    /// <summary>Returns a task that completes once <paramref name="pid"/> has exited (it is then a zombie, not yet reaped).</summary>
    public Task WhenExited(int pid)
    {
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int pidfd = pidfdUnavailable ? -1 : (int)Libc.Syscall(Libc.SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
        {
            pidfdUnavailable = true;
            var thread = new Thread(() => BlockUntilExited(pid, exited)) { IsBackground = true, Name = $"gatehouse-wait-{pid}" };
            thread.Start();
            return exited.Task;
        }

        lock (gate)
        {
            EnsureStartedUnsynchronized();
            watched.Add(pidfd, exited);
        }

        Wake();
        return exited.Task;
    }

    private static void BlockUntilExited(int pid, TaskCompletionSource exited)
    {
        byte* info = stackalloc byte[256];
        while (Libc.WaitId(Libc.P_PID, pid, info, Libc.WEXITED | Libc.WNOWAIT) < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
        {
            // Interrupted by a signal: wait again.
        }

        exited.TrySetResult();
    }

    private void EnsureStartedUnsynchronized()
    {
        if (started)
        {
            return;
        }

        int* fds = stackalloc int[2];
        if (Libc.Pipe2(fds, Libc.O_CLOEXEC) < 0)
        {
            throw new IOException($"pipe2 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        wakeRead = fds[0];
        wakeWrite = fds[1];
        var thread = new Thread(Run) { IsBackground = true, Name = "gatehouse-child-watcher" };
        thread.Start();
        started = true;
    }

    private void Wake()
    {
        byte one = 1;
        _ = Libc.Write(wakeWrite, &one, 1); // A full pipe already guarantees a wake-up, so the result does not matter.
    }

    private void Run()
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
            poll[0] = new Libc.PollFd { Fd = wakeRead, Events = Libc.POLLIN };
            for (int i = 0; i < fds.Count; i++)
            {
                poll[i + 1] = new Libc.PollFd { Fd = fds[i], Events = Libc.POLLIN };
            }

            fixed (Libc.PollFd* p = poll)
            {
                if (Libc.Poll(p, (nuint)poll.Length, -1) < 0)
                {
                    continue; // EINTR: poll again.
                }
            }

            if ((poll[0].Revents & Libc.POLLIN) != 0)
            {
                _ = Libc.Read(wakeRead, drain, 64); // Only the wake-up matters, not the bytes.
            }

            for (int i = 1; i < poll.Length; i++)
            {
                if (poll[i].Revents == 0)
                {
                    continue;
                }

                TaskCompletionSource? exited;
                lock (gate)
                {
                    watched.Remove(poll[i].Fd, out exited);
                }

                _ = Libc.Close(poll[i].Fd); // Closing a pidfd cannot fail in a way we could act on.
                exited?.TrySetResult();
            }
        }
    }
}
