using System.Runtime.InteropServices;
using Gatehouse.Commands.Exec.Native;

namespace Gatehouse.Commands.Tests;

/// <summary>Looks at process groups through kill(2) and /proc.</summary>
internal static class ProcessGroups
{
    /// <summary>
    /// True when some process of group <paramref name="pgid"/> is still alive. kill(-pgid, 0)
    /// answers first (ESRCH means the group is gone); if it still succeeds, /proc decides, because
    /// in this container PID 1 does not reap orphans, so killed grandchildren linger as zombies
    /// (dead, holding no resources but a PID) that kill(2) still counts.
    /// </summary>
    public static bool IsAlive(int pgid)
    {
        if (Libc.Kill(-pgid, 0) != 0)
        {
            Assert.Equal(Libc.ESRCH, Marshal.GetLastPInvokeError());
            return false;
        }

        foreach (string entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int pid))
            {
                continue;
            }

            if (Stat(pid) is { } stat && stat.Pgrp == pgid && stat.State != 'Z')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool IsProcessAlive(int pid) => Stat(pid) is { } stat && stat.State != 'Z';

    /// <summary>Kills a process a test started (by PID), for cleanup.</summary>
    public static void KillLeftover(int pid) => _ = Libc.Kill(pid, Libc.SIGKILL); // Already gone is fine.

    private static (char State, int Pgrp)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // The process exited between listing and reading.
        }

        string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[2]));
    }

    /// <summary>Waits until <paramref name="condition"/> holds or the time is up.</summary>
    public static async Task<bool> Eventually(Func<bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return condition();
    }
}
