using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Gatehouse.Commands.Exec.Native;

namespace Gatehouse.Commands.Exec;

/// <summary>What to spawn: an executable path, its exact argv and environment, and whether it gets a stdin socket.</summary>
/// <param name="Path">The file executed (never searched in PATH, never given to a shell).</param>
/// <param name="Argv">argv, including argv[0], as raw bytes (no NULs).</param>
/// <param name="Environment">The environment as <c>NAME=VALUE</c> byte strings.</param>
/// <param name="WithStdin">True to connect fd 0 to a socket the caller writes; false for /dev/null.</param>
/// <param name="WorkingDirectory">The child's working directory.</param>
internal sealed record SpawnRequest(string Path, IReadOnlyList<byte[]> Argv, IReadOnlyList<byte[]> Environment, bool WithStdin, string WorkingDirectory)
{
    /// <summary>
    /// True to connect fds 1 and 2 to the same socket (remctld's protocol v1 wiring): all output then arrives
    /// on <see cref="SpawnedChild.Stdout"/> in the program's order, and <see cref="SpawnedChild.Stderr"/> ends at once.
    /// </summary>
    public bool MergeOutput { get; init; }
}

/// <summary>A started child: its PID (also its process group and session ID) and the parent's socket ends.</summary>
internal sealed class SpawnedChild(int pid, Socket stdout, Socket stderr, Socket? stdin) : IDisposable
{
    /// <summary>The child's PID; the child leads a new session, so this is its process group ID too.</summary>
    public int Pid { get; } = pid;

    /// <summary>Reads what the child writes on fd 1.</summary>
    public Socket Stdout { get; } = stdout;

    /// <summary>Reads what the child writes on fd 2.</summary>
    public Socket Stderr { get; } = stderr;

    /// <summary>Writes the child's fd 0, or null when fd 0 is /dev/null.</summary>
    public Socket? Stdin { get; } = stdin;

    /// <inheritdoc />
    public void Dispose()
    {
        Stdout.Dispose();
        Stderr.Dispose();
        Stdin?.Dispose();
    }
}

/// <summary>posix_spawn could not start the program.</summary>
/// <param name="message">What failed.</param>
/// <param name="errno">The error number.</param>
/// <param name="execFailure">posix_spawn's own error as text, when the program could not be executed.</param>
internal sealed class SpawnException(string message, int errno, string? execFailure = null) : Exception(message)
{
    /// <summary>The errno value.</summary>
    public int Errno { get; } = errno;

    /// <summary>
    /// Why the program itself could not be executed (posix_spawn's error as strerror text: a missing
    /// file, no permission, arguments too long), or null when the failure was the server's own (no
    /// socket pair). remctld tells the client the former on stderr with status 255.
    /// </summary>
    public string? ExecFailure { get; } = execFailure;
}

/// <summary>
/// Starts programs with libc's posix_spawn: argv[0] chosen freely, a new session (so a new process
/// group to kill as a whole), default signal dispositions and an empty signal mask (the .NET runtime
/// ignores SIGPIPE, and ignored signals would otherwise be inherited), fds 0-2 wired to Unix socket
/// pairs (as remctld does) or /dev/null, every other descriptor closed, working directory set.
/// </summary>
internal static unsafe class ProcessSpawner
{
    private static bool closeFromUnavailable;

    /// <summary>Spawns the program.</summary>
    /// <returns>The child and the parent's ends of its sockets.</returns>
    /// <exception cref="SpawnException">A socket pair could not be made or posix_spawn failed (for example ENOENT, EACCES).</exception>
    public static SpawnedChild Spawn(SpawnRequest request)
    {
        var owned = new List<int>();
        int[] stdoutPair = [-1, -1], stderrPair = [-1, -1], stdinPair = [-1, -1];
        try
        {
            MakePair(stdoutPair, owned);
            MakePair(stderrPair, owned);
            if (request.WithStdin)
            {
                MakePair(stdinPair, owned);
            }

            int pid = SpawnCore(request, stdoutPair[1], request.MergeOutput ? stdoutPair[1] : stderrPair[1], request.WithStdin ? stdinPair[1] : -1);

            // The child has its copies; close ours of the child ends and hand the parent ends to Sockets.
            CloseOwned(owned, stdoutPair[1]);
            CloseOwned(owned, stderrPair[1]);
            if (request.WithStdin)
            {
                CloseOwned(owned, stdinPair[1]);
            }

            Socket stdout = Adopt(stdoutPair[0], owned);
            Socket stderr = Adopt(stderrPair[0], owned);
            Socket? stdin = request.WithStdin ? Adopt(stdinPair[0], owned) : null;
            return new SpawnedChild(pid, stdout, stderr, stdin);
        }
        finally
        {
            foreach (int fd in owned)
            {
                _ = Libc.Close(fd); // Only reached on failure paths; nothing more can be done about a failed close.
            }
        }
    }

    private static void MakePair(int[] pair, List<int> owned)
    {
        int* fds = stackalloc int[2];
        if (Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, fds) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new SpawnException($"socketpair failed: errno {errno}", errno);
        }

        pair[0] = fds[0];
        pair[1] = fds[1];
        owned.Add(fds[0]);
        owned.Add(fds[1]);
    }

    private static void CloseOwned(List<int> owned, int fd)
    {
        owned.Remove(fd);
        _ = Libc.Close(fd); // Closing our copy of the child's end; a failure leaks nothing we could recover.
    }

    private static Socket Adopt(int fd, List<int> owned)
    {
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        owned.Remove(fd);
        return socket;
    }

    private static int SpawnCore(SpawnRequest request, int stdoutFd, int stderrFd, int stdinFd)
    {
        var strings = new List<nint>();
        void* actions = NativeMemory.AllocZeroed(Libc.OpaqueSize);
        void* attributes = NativeMemory.AllocZeroed(Libc.OpaqueSize);
        void* mask = NativeMemory.AllocZeroed(Libc.OpaqueSize);
        void* defaults = NativeMemory.AllocZeroed(Libc.OpaqueSize);
        byte** argv = null;
        byte** envp = null;
        bool actionsReady = false, attributesReady = false;
        try
        {
            byte* path = Native(Encoding.UTF8.GetBytes(request.Path), strings);
            byte* devNull = Native("/dev/null"u8.ToArray(), strings);
            byte* directory = Native(Encoding.UTF8.GetBytes(request.WorkingDirectory), strings);
            argv = NativeArray(request.Argv, strings);
            envp = NativeArray(request.Environment, strings);

            Check(Libc.FileActionsInit(actions), "posix_spawn_file_actions_init");
            actionsReady = true;
            Check(
                stdinFd >= 0
                    ? Libc.FileActionsAddDup2(actions, stdinFd, 0)
                    : Libc.FileActionsAddOpen(actions, 0, devNull, Libc.O_RDONLY, 0),
                "posix_spawn_file_actions stdin");
            Check(Libc.FileActionsAddDup2(actions, stdoutFd, 1), "posix_spawn_file_actions_adddup2");
            Check(Libc.FileActionsAddDup2(actions, stderrFd, 2), "posix_spawn_file_actions_adddup2");
            AddCloseFrom(actions);
            Check(Libc.FileActionsAddChdir(actions, directory), "posix_spawn_file_actions_addchdir_np");

            Check(Libc.AttrInit(attributes), "posix_spawnattr_init");
            attributesReady = true;
            Check(Libc.SigEmptySet(mask), "sigemptyset");
            FillAllSignals(defaults);
            Check(Libc.AttrSetSigMask(attributes, mask), "posix_spawnattr_setsigmask");
            Check(Libc.AttrSetSigDefault(attributes, defaults), "posix_spawnattr_setsigdefault");
            Check(Libc.AttrSetFlags(attributes, Libc.POSIX_SPAWN_SETSID | Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF), "posix_spawnattr_setflags");

            int error = Libc.PosixSpawn(out int pid, path, actions, attributes, argv, envp);
            if (error != 0)
            {
                string reason = Marshal.GetPInvokeErrorMessage(error);
                throw new SpawnException($"cannot execute {request.Path}: {reason}", error, reason);
            }

            return pid;
        }
        finally
        {
            if (actionsReady)
            {
                _ = Libc.FileActionsDestroy(actions); // Frees glibc's list; cannot fail for an initialised object.
            }

            if (attributesReady)
            {
                _ = Libc.AttrDestroy(attributes); // No-op in glibc.
            }

            NativeMemory.Free(actions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(mask);
            NativeMemory.Free(defaults);
            NativeMemory.Free(argv);
            NativeMemory.Free(envp);
            foreach (nint s in strings)
            {
                NativeMemory.Free((void*)s);
            }
        }
    }

    /// <summary>
    /// Marks signals 1..64 for SIG_DFL. Written as a bit mask because sigfillset and sigaddset leave
    /// out glibc's internal signals 32 and 33, which the .NET runtime ignores and which the child
    /// would otherwise inherit as ignored. (glibc's sigset_t is an array of unsigned longs, bit n-1 for signal n.)
    /// </summary>
    private static void FillAllSignals(void* set)
    {
        Check(Libc.SigEmptySet(set), "sigemptyset");
        *(ulong*)set = ulong.MaxValue;
    }

    private static void AddCloseFrom(void* actions)
    {
        // glibc 2.34+: close every descriptor above 2 in the child, in case some library opened one
        // without O_CLOEXEC. Without it, CLOEXEC (which .NET and this class use everywhere) still applies.
        if (closeFromUnavailable)
        {
            return;
        }

        try
        {
            Check(Libc.FileActionsAddCloseFrom(actions, 3), "posix_spawn_file_actions_addclosefrom_np");
        }
        catch (EntryPointNotFoundException)
        {
            closeFromUnavailable = true;
        }
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw new SpawnException($"{what} failed: {Marshal.GetPInvokeErrorMessage(result)}", result);
        }
    }

    private static byte* Native(byte[] bytes, List<nint> strings)
    {
        byte* p = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
        strings.Add((nint)p);
        bytes.AsSpan().CopyTo(new Span<byte>(p, bytes.Length));
        p[bytes.Length] = 0;
        return p;
    }

    private static byte** NativeArray(IReadOnlyList<byte[]> items, List<nint> strings)
    {
        byte** array = (byte**)NativeMemory.AllocZeroed((nuint)(items.Count + 1), (nuint)sizeof(byte*));
        for (int i = 0; i < items.Count; i++)
        {
            array[i] = Native(items[i], strings);
        }

        return array;
    }
}
