using System.Runtime.InteropServices;

namespace Gatehouse.Bench.Processes;

/// <summary>kill(2), to send SIGTERM to a process this benchmark started (by its PID only).</summary>
internal static partial class NativeSignals
{
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends SIGTERM; false when the process no longer exists.</summary>
    public static bool Terminate(int pid) => Kill(pid, SigTerm) == 0;
}
