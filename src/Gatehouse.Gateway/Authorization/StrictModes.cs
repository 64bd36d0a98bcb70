using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Authorization;

/// <summary>
/// The checks OpenSSH's <c>StrictModes</c> makes before it trusts an <c>authorized_keys</c> file,
/// applied to <c>authorized_peers</c>: the file must be a regular file, and the file and the
/// directory holding it must each be owned by root or by the gateway's own user and be writable by
/// neither group nor others. A file that fails is refused (as sshd refuses the key file): its
/// contents are not loaded, the previous grants stay in force (none at start) and the gateway logs
/// why. Unlike sshd, only the file's own directory is checked, not every directory above it.
/// </summary>
public static class StrictModes
{
    /// <summary>Why <paramref name="path"/> may not be trusted, or null when it may.</summary>
    /// <param name="path">The file.</param>
    /// <param name="file">Its status.</param>
    /// <param name="directory">Its directory's status, when it could be read.</param>
    public static string? Problem(string path, FileStatus file, FileStatus? directory)
    {
        if (!file.IsRegularFile)
        {
            return $"{path} is not a regular file";
        }

        string? problem = OwnerOrModeProblem(path, file, "chmod go-w " + path);
        if (problem is null && directory is { } dir)
        {
            string dirPath = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? "/";
            problem = OwnerOrModeProblem(dirPath, dir, "chmod go-w " + dirPath);
        }

        return problem is null ? null : $"{path}: refused (as OpenSSH's StrictModes would): {problem}";
    }

    /// <summary>Why a state directory is unsafe (owned by another user, or writable by group or others), or null.</summary>
    public static string? DirectoryProblem(string path, FileStatus directory) =>
        OwnerOrModeProblem(path, directory, "chmod go-w " + path);

    private static string? OwnerOrModeProblem(string path, FileStatus status, string fix)
    {
        if (status.Uid != 0 && status.Uid != FileStatus.EffectiveUid)
        {
            return $"{path} is owned by uid {status.Uid}; it must be owned by root or by the gateway's user (uid {FileStatus.EffectiveUid})";
        }

        if (status.GroupOrWorldWritable)
        {
            return $"{path} is writable by group or others (mode {Convert.ToString((int)status.Permissions, 8).PadLeft(4, '0')}); run {fix}";
        }

        return null;
    }
}
