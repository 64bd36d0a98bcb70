namespace Gatehouse.Commands.Configuration;

/// <summary>Which files of an included directory are read, shared by remctl.conf includes and <c>file:</c> ACLs.</summary>
internal static class IncludeDirectory
{
    /// <summary>
    /// True when a directory entry is included. remctld's source (valid_filename in server/config.c)
    /// accepts only names made of ASCII letters, digits, <c>_</c> and <c>-</c>; its man page says
    /// "names that do not contain a period". We implement the source's stricter rule, so editor
    /// backups such as <c>foo~</c>, <c>.foo.swp</c> and <c>foo.dpkg-old</c> are all skipped.
    /// </summary>
    public static bool IsIncludedName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Lists the files of <paramref name="directory"/> that are included, in ordinal order of their
    /// names (remctld uses readdir order, which is undefined; sorting makes first-match-wins
    /// predictable). Subdirectories are skipped (remctld reads them as empty files).
    /// </summary>
    /// <exception cref="IOException">The directory cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be read.</exception>
    public static List<string> ListFiles(string directory)
    {
        var files = new List<string>();
        foreach (string path in Directory.EnumerateFileSystemEntries(directory))
        {
            string name = Path.GetFileName(path);
            if (IsIncludedName(name) && !Directory.Exists(path))
            {
                files.Add(path);
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>The entries of <paramref name="directory"/> that <see cref="ListFiles"/> leaves out (names, in ordinal order), for the migration check.</summary>
    /// <exception cref="IOException">The directory cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be read.</exception>
    public static List<string> ListSkipped(string directory)
    {
        var skipped = new List<string>();
        foreach (string path in Directory.EnumerateFileSystemEntries(directory))
        {
            string name = Path.GetFileName(path);
            if (!IsIncludedName(name) || Directory.Exists(path))
            {
                skipped.Add(path);
            }
        }

        skipped.Sort(StringComparer.Ordinal);
        return skipped;
    }

    /// <summary>Resolves an include path: absolute paths as given, relative ones against the including file's directory.</summary>
    public static string Resolve(string included, string includingFile)
    {
        if (Path.IsPathRooted(included))
        {
            return included;
        }

        string? directory = Path.GetDirectoryName(includingFile);
        return string.IsNullOrEmpty(directory) ? included : Path.Combine(directory, included);
    }
}
