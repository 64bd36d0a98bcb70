using System.Runtime.InteropServices;
using Gatehouse.Commands.Exec.Native;

namespace Gatehouse.Commands.Exec;

/// <summary>
/// The system calls <see cref="ChildWatcher"/> makes, behind virtual methods so tests can make any of
/// them fail (descriptors or threads running out) while the children stay real processes. Each
/// returns what the call returns and the errno when it failed.
/// </summary>
internal unsafe class ChildWatcherSystem
{
    /// <summary>The real calls.</summary>
    public static ChildWatcherSystem Real { get; } = new();

    /// <summary>pidfd_open(pid, 0).</summary>
    public virtual int PidfdOpen(int pid, out int errno) => Result((int)Libc.Syscall(Libc.SYS_pidfd_open, pid, 0), out errno);

    /// <summary>pipe2(O_CLOEXEC | O_NONBLOCK).</summary>
    public virtual int Pipe(out int read, out int write, out int errno)
    {
        int* fds = stackalloc int[2];
        int result = Result(Libc.Pipe2(fds, Libc.O_CLOEXEC | Libc.O_NONBLOCK), out errno);
        read = fds[0];
        write = fds[1];
        return result;
    }

    /// <summary>poll(fds, count, -1).</summary>
    public virtual int Poll(Libc.PollFd* fds, nuint count, out int errno) => Result(Libc.Poll(fds, count, -1), out errno);

    /// <summary>waitid(P_PID, pid, WEXITED | WNOWAIT): blocks until the child exits, without reaping it.</summary>
    public virtual int WaitExited(int pid, out int errno)
    {
        byte* info = stackalloc byte[256];
        return Result(Libc.WaitId(Libc.P_PID, pid, info, Libc.WEXITED | Libc.WNOWAIT), out errno);
    }

    /// <summary>Starts a background thread.</summary>
    /// <exception cref="OutOfMemoryException">No thread could be created.</exception>
    public virtual void StartThread(ThreadStart body, string name) => new Thread(body) { IsBackground = true, Name = name }.Start();

    public virtual int Close(int fd) => Libc.Close(fd);

    public virtual nint Read(int fd, byte* buffer, nint count) => Libc.Read(fd, buffer, count);

    public virtual nint Write(int fd, byte* buffer, nint count) => Libc.Write(fd, buffer, count);

    private static int Result(int result, out int errno)
    {
        errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        return result;
    }
}
