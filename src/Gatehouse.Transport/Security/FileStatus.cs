using System.Runtime.InteropServices;

namespace Gatehouse.Transport.Security;

/// <summary>
/// What <c>statx(2)</c> says about a path (following symbolic links): type and mode, owner, inode,
/// size and the modification and status-change times. .NET exposes neither the owner nor the
/// status-change time, which a state-file watcher needs to notice <c>chmod</c> and <c>chown</c>.
/// </summary>
public readonly partial record struct FileStatus(uint Mode, uint Uid, uint Gid, ulong Inode, long Size, long ModifiedSeconds, uint ModifiedNanoseconds, long ChangedSeconds, uint ChangedNanoseconds)
{
    /// <summary>This process's effective user ID.</summary>
    public static uint EffectiveUid { get; } = Native.GetEuid();

    /// <summary>True for a regular file.</summary>
    public bool IsRegularFile => (Mode & 0xF000) == 0x8000;

    /// <summary>True for a directory.</summary>
    public bool IsDirectory => (Mode & 0xF000) == 0x4000;

    /// <summary>The permission bits (with set-id and sticky bits).</summary>
    public UnixFileMode Permissions => (UnixFileMode)(Mode & 0xFFF);

    /// <summary>True when group or others may write.</summary>
    public bool GroupOrWorldWritable => (Mode & 0x12) != 0; // S_IWGRP | S_IWOTH

    /// <summary>Reads the status of <paramref name="path"/>.</summary>
    /// <returns>False with <paramref name="errno"/> set (ENOENT = 2, EACCES = 13, ...) when statx fails.</returns>
    public static unsafe bool TryGet(string path, out FileStatus status, out int errno)
    {
        // struct statx has the same layout on every Linux architecture (include/uapi/linux/stat.h).
        byte* b = stackalloc byte[256];
        if (Native.Statx(Native.AT_FDCWD, path, 0, Native.STATX_BASIC_STATS, b) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            status = default;
            return false;
        }

        errno = 0;
        status = new FileStatus(
            Mode: *(ushort*)(b + 28),
            Uid: *(uint*)(b + 20),
            Gid: *(uint*)(b + 24),
            Inode: *(ulong*)(b + 32),
            Size: *(long*)(b + 40),
            ModifiedSeconds: *(long*)(b + 112),
            ModifiedNanoseconds: *(uint*)(b + 120),
            ChangedSeconds: *(long*)(b + 96),
            ChangedNanoseconds: *(uint*)(b + 104));
        return true;
    }

    /// <summary>The message for an errno value.</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>errno ENOENT.</summary>
    public const int ENOENT = 2;

    /// <summary>errno ENOTDIR (a path component is not a directory).</summary>
    public const int ENOTDIR = 20;

    private static unsafe partial class Native
    {
        public const int AT_FDCWD = -100;
        public const uint STATX_BASIC_STATS = 0x7ff;

        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

        [LibraryImport("libc", EntryPoint = "geteuid")]
        public static partial uint GetEuid();
    }
}
