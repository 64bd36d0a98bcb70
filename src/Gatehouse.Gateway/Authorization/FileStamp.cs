using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Authorization;

/// <summary>
/// What a watched file and its directory looked like at one check: equal stamps mean nothing worth
/// re-reading happened. The status-change time is part of it, so <c>chmod</c> and <c>chown</c> (which
/// leave the modification time alone) count as changes. Taken without throwing: a failed
/// <c>statx</c> is recorded as its errno.
/// </summary>
internal readonly record struct FileStamp(int Errno, FileStatus File, int DirectoryErrno, FileStatus Directory)
{
    /// <summary>A stamp no real check produces.</summary>
    public static FileStamp Never { get; } = new(-1, default, -1, default);

    /// <summary>True when the file's status could be read.</summary>
    public bool Exists => Errno == 0;

    /// <summary>Takes the stamp of <paramref name="path"/> now.</summary>
    public static FileStamp Of(string path)
    {
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? "/";
        FileStatus.TryGet(path, out var file, out int errno);
        FileStatus.TryGet(directory, out var dir, out int dirErrno);
        return new FileStamp(errno, file, dirErrno, dir);
    }
}
