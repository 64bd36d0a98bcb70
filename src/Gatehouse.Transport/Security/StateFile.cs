using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Gatehouse.Transport.Security;

/// <summary>
/// Safe replacement of small state files that several processes may edit (the gateway's
/// <c>authorized_peers</c>): an exclusive <c>flock</c> on <c>FILE.lock</c> beside the file serialises
/// read-modify-write cycles; the new contents go to a temporary file with a unique name
/// (<c>FILE.tmp.PID.RANDOM</c>), which is fsynced, given the old file's mode (and, when run as root,
/// its owner), renamed over the file, and the directory is fsynced so the rename survives a crash.
/// </summary>
/// <remarks>
/// Readers never take the lock: they see either the old or the new file, never a partial one.
/// A crash leaves at most a stray <c>.tmp.*</c> file, never a damaged state file.
/// </remarks>
public static partial class StateFile
{
    /// <summary>How long <see cref="Lock"/> waits for another writer before giving up.</summary>
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Takes the exclusive lock that guards <paramref name="path"/> (an flock on <c>PATH.lock</c>,
    /// created if needed). Dispose the result to release it.
    /// </summary>
    /// <exception cref="IOException">The lock file cannot be opened, or another process held the lock for <paramref name="timeout"/>.</exception>
    public static IDisposable Lock(string path, TimeSpan? timeout = null)
    {
        string lockPath = path + ".lock";
        // open(2) rather than FileStream: .NET takes its own flock(LOCK_SH | LOCK_NB) when it opens a
        // file, which fails at once while another writer holds the lock instead of waiting for it.
        // Read-only is enough for flock, and lets any user who may write the directory share the file.
        int fd = Native.Open(lockPath, Native.O_RDONLY | Native.O_CREAT | Native.O_CLOEXEC, 0b110_100_100);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{lockPath}: cannot open: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var limit = timeout ?? DefaultLockTimeout;
            var deadline = DateTime.UtcNow + limit;
            while (Native.Flock(fd, Native.LOCK_EX | Native.LOCK_NB) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Native.EWOULDBLOCK && errno != Native.EINTR)
                {
                    throw new IOException($"{lockPath}: cannot lock: {Marshal.GetPInvokeErrorMessage(errno)}");
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new IOException($"{lockPath}: another process has held the lock for {limit.TotalSeconds:0} s; try again");
                }

                Thread.Sleep(10);
            }

            return handle; // Closing the descriptor releases the flock.
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="lines"/> atomically and durably. The
    /// caller should hold <see cref="Lock"/> when it read the old contents first.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="lines">Its new lines (each written with a trailing newline).</param>
    /// <param name="newFileMode">The mode of a file that does not exist yet (set exactly, umask aside); an existing file keeps its mode.</param>
    /// <exception cref="IOException">Writing, syncing or renaming failed; the old file is untouched.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public static void Replace(string path, IEnumerable<string> lines, UnixFileMode newFileMode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Gatehouse state files need a Unix file system");
        }

        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        string tmp = $"{full}.tmp.{Environment.ProcessId}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        bool exists = File.Exists(full);
        UnixFileMode mode = exists ? File.GetUnixFileMode(full) : newFileMode;
        try
        {
            using (var stream = new FileStream(tmp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                using (var writer = new StreamWriter(stream, leaveOpen: true))
                {
                    foreach (string line in lines)
                    {
                        writer.Write(line);
                        writer.Write('\n');
                    }
                }

                KeepOwner(stream, exists ? full : directory);
                stream.Flush(flushToDisk: true); // fsync
            }

            File.SetUnixFileMode(tmp, mode); // chmod is not subject to the umask
            File.Move(tmp, full, overwrite: true); // rename(2): readers see the old or the new file
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }

        SyncDirectory(directory);
    }

    /// <summary>
    /// When running as root, gives the new file the owner of the file it replaces (or of the
    /// directory, for a new file): an operator running <c>sudo gatehouse authorize</c> must not
    /// leave a root-owned file that a gateway running as another user cannot read.
    /// </summary>
    private static void KeepOwner(FileStream stream, string like)
    {
        if (FileStatus.EffectiveUid != 0 || !FileStatus.TryGet(like, out var owner, out _))
        {
            return;
        }

        int fd = (int)stream.SafeFileHandle.DangerousGetHandle();
        if (Native.Fchown(fd, owner.Uid, owner.Gid) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot give {stream.Name} the owner of {like}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    /// <summary>fsyncs a directory so a rename inside it is on disk.</summary>
    private static void SyncDirectory(string directory)
    {
        int fd = Native.Open(directory, Native.O_RDONLY | Native.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{directory}: cannot open to sync: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        try
        {
            if (Native.Fsync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new IOException($"{directory}: fsync failed: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
        finally
        {
            _ = Native.Close(fd); // A read-only directory descriptor has nothing left to flush.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The write already failed and that error is reported; a stray temporary file is harmless.
        }
    }

    private static partial class Native
    {
        public const int LOCK_EX = 2;
        public const int LOCK_NB = 4;
        public const int EINTR = 4;
        public const int EWOULDBLOCK = 11;
        public const int O_RDONLY = 0;
        public const int O_CLOEXEC = 0x80000;
        public const int O_CREAT = 0x40;

        [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
        public static partial int Flock(int fd, int operation);

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags, uint mode = 0);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static partial int Fsync(int fd);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);

        [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
        public static partial int Fchown(int fd, uint uid, uint gid);
    }
}
