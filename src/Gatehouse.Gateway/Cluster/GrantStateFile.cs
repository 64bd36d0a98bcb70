using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Cluster;

/// <summary>
/// The ledger's own file, <c>cluster_grants</c> in the state directory (<see cref="GrantCodec"/>'s
/// format with the clock and the baseline), written atomically and durably by
/// <see cref="StateFile.Replace"/> under <see cref="StateFile.Lock"/>, mode 0600 for a new file. It is
/// trusted only as <see cref="StrictModes"/> would trust <c>authorized_peers</c>: a file writable by
/// group or others is refused like a corrupt one.
/// </summary>
public static class GrantStateFile
{
    /// <summary>The file's name in the state directory.</summary>
    public const string FileName = "cluster_grants";

    private static readonly string[] Comment =
    [
        "# Gatehouse cluster grants, written by the gateway (docs/cluster.md). Do not edit: change",
        "# authorized_peers (gatehouse authorize) and the gateway records and spreads the change.",
    ];

    /// <summary>Writes <paramref name="ledger"/> (entries, clock, baseline) to <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file or its lock could not be written; the old file is unchanged.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public static void Save(string path, GrantLedger ledger)
    {
        var lines = GrantCodec.WriteLines(ledger.Export(), ledger.Clock.Last, ledger.Baseline, Comment);
        using var held = StateFile.Lock(path);
        StateFile.Replace(path, lines, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>
    /// Loads <paramref name="path"/> into the empty <paramref name="ledger"/>. A file that never
    /// existed is not an error (the ledger stays empty, with no baseline). Never throws for a bad
    /// file: it is left as it is, the ledger stays empty, and the one-line reason is returned.
    /// </summary>
    /// <returns>Null on success or when there is no file, else why the file was not used.</returns>
    public static string? Load(string path, GrantLedger ledger)
    {
        var stamp = FileStamp.Of(path);
        try
        {
            if (!stamp.Exists)
            {
                return stamp.Errno is FileStatus.ENOENT or FileStatus.ENOTDIR
                    ? null
                    : throw new IOException(FileStatus.Describe(stamp.Errno));
            }

            if (StrictModes.Problem(path, stamp.File, stamp.DirectoryErrno == 0 ? stamp.Directory : null) is { } problem)
            {
                throw new IOException(problem);
            }

            if (stamp.File.Size > GrantCodec.MaxBytes)
            {
                throw new FormatException($"{stamp.File.Size} bytes; the file is at most {GrantCodec.MaxBytes} bytes");
            }

            var document = GrantCodec.ReadUtf8(File.ReadAllBytes(path), path);
            ledger.Restore(document.Entries, document.Clock, document.Baseline);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            string reason = ex.Message.StartsWith(path, StringComparison.Ordinal) ? ex.Message : $"{path}: {ex.Message}";
            return $"{reason}; not used: the grants in authorized_peers are in force and the cluster's newer changes override them";
        }
    }
}
