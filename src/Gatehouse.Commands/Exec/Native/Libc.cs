using System.Runtime.InteropServices;

namespace Gatehouse.Commands.Exec.Native;

/// <summary>
/// The libc functions the exec backend needs (Linux, glibc). Pointers to opaque libc structures
/// (posix_spawnattr_t, posix_spawn_file_actions_t, sigset_t) point at zeroed native blocks larger
/// than glibc's structures (<see cref="OpaqueSize"/>).
/// </summary>
internal static unsafe partial class Libc
{
    /// <summary>Bytes allocated for each opaque libc structure (glibc's are at most 336 bytes).</summary>
    public const int OpaqueSize = 1024;

    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int O_RDONLY = 0;
    public const int O_CLOEXEC = 0x80000;
    public const int O_NONBLOCK = 0x800;
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;
    public const int WNOHANG = 1;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int EINTR = 4;
    public const int ESRCH = 3;
    public const int ECHILD = 10;
    public const int EMFILE = 24;
    public const int EINVAL = 22;
    public const short POLLIN = 0x001;
    public const int P_PID = 1;
    public const int WEXITED = 4;
    public const int WNOWAIT = 0x01000000;

    /// <summary>pidfd_open's system call number (the same on x86-64 and arm64).</summary>
    public const long SYS_pidfd_open = 434;

    private const string LibName = "libc";

    [LibraryImport(LibName, EntryPoint = "posix_spawn")]
    public static partial int PosixSpawn(out int pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(LibName, EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int FileActionsInit(void* actions);

    [LibraryImport(LibName, EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int FileActionsDestroy(void* actions);

    [LibraryImport(LibName, EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static partial int FileActionsAddDup2(void* actions, int fd, int newFd);

    [LibraryImport(LibName, EntryPoint = "posix_spawn_file_actions_addopen")]
    public static partial int FileActionsAddOpen(void* actions, int fd, byte* path, int flags, uint mode);

    [LibraryImport(LibName, EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    public static partial int FileActionsAddChdir(void* actions, byte* path);

    [LibraryImport(LibName, EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    public static partial int FileActionsAddCloseFrom(void* actions, int from);

    [LibraryImport(LibName, EntryPoint = "posix_spawnattr_init")]
    public static partial int AttrInit(void* attributes);

    [LibraryImport(LibName, EntryPoint = "posix_spawnattr_destroy")]
    public static partial int AttrDestroy(void* attributes);

    [LibraryImport(LibName, EntryPoint = "posix_spawnattr_setflags")]
    public static partial int AttrSetFlags(void* attributes, short flags);

    [LibraryImport(LibName, EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int AttrSetSigMask(void* attributes, void* mask);

    [LibraryImport(LibName, EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int AttrSetSigDefault(void* attributes, void* signals);

    [LibraryImport(LibName, EntryPoint = "sigemptyset")]
    public static partial int SigEmptySet(void* set);

    [LibraryImport(LibName, EntryPoint = "sigfillset")]
    public static partial int SigFillSet(void* set);

    [LibraryImport(LibName, EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport(LibName, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport(LibName, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(LibName, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(LibName, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport(LibName, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport(LibName, EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, out int status, int options);

    [LibraryImport(LibName, EntryPoint = "waitid", SetLastError = true)]
    public static partial int WaitId(int idType, int id, void* info, int options);

    [LibraryImport(LibName, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport(LibName, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, int pid, uint flags);

    [LibraryImport(LibName, EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>Decodes a wait status: exit code when the process exited, else null.</summary>
    public static int? ExitCode(int status) => (status & 0x7f) == 0 ? (status >> 8) & 0xff : null;

    /// <summary>Decodes a wait status: the terminating signal when the process was killed, else null.</summary>
    public static int? TermSignal(int status) => (status & 0x7f) is not 0 and not 0x7f ? status & 0x7f : null;
}
