using System.Runtime.InteropServices;

namespace Gatehouse.Bench.Processes;

/// <summary>kill(2), to signal a process this benchmark started (by its PID only).</summary>
public static partial class NativeSignals
{
    public const int SigTerm = 15;

    public const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends SIGTERM; false when the process no longer exists.</summary>
    public static bool Terminate(int pid) => Kill(pid, SigTerm) == 0;

    /// <summary>Sends <paramref name="signal"/>; false when the process no longer exists.</summary>
    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;
}
