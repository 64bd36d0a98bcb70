using System.Runtime.InteropServices;
using Gatehouse.Commands.Exec.Native;

namespace Gatehouse.Commands.Exec;

/// <summary>Signals and reaps a spawned child and its process group.</summary>
internal static class ProcessGroup
{
    /// <summary>Sends <paramref name="signal"/> to every process in group <paramref name="pgid"/>.</summary>
    /// <returns>True when at least one process received it; false when the group is empty (ESRCH).</returns>
    public static bool Signal(int pgid, int signal)
    {
        if (Libc.Kill(-pgid, signal) == 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == Libc.ESRCH ? false : throw new IOException($"kill(-{pgid}, {signal}) failed: errno {errno}");
    }

    /// <summary>Reaps the exited child <paramref name="pid"/> (only that PID).</summary>
    /// <returns>The wait status, or null when the child had already been reaped by someone else (ECHILD).</returns>
    public static int? Reap(int pid)
    {
        while (true)
        {
            int result = Libc.WaitPid(pid, out int status, 0);
            if (result == pid)
            {
                return status;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (result < 0 && errno == Libc.EINTR)
            {
                continue;
            }

            if (result < 0 && errno == Libc.ECHILD)
            {
                return null;
            }

            throw new IOException($"waitpid({pid}) failed: errno {errno}");
        }
    }
}
