namespace Gatehouse.Bench.Processes;

/// <summary>Open file descriptors of one process, by kind (what <c>/proc/PID/fd/N</c> links to).</summary>
/// <param name="Total">Every descriptor.</param>
/// <param name="Sockets">Links to <c>socket:[...]</c>.</param>
/// <param name="Pipes">Links to <c>pipe:[...]</c>.</param>
/// <param name="AnonInodes">Links to <c>anon_inode:...</c> (epoll, eventfd, pidfd, ...).</param>
/// <param name="Files">Everything else (regular files, devices), code included.</param>
/// <param name="Code">Of <paramref name="Files"/>: assemblies, symbol files and native libraries the runtime keeps open once loaded (<c>.dll</c>, <c>.pdb</c>, <c>.so</c>).</param>
public readonly record struct FdCounts(int Total, int Sockets, int Pipes, int AnonInodes, int Files, int Code)
{
    /// <summary>Descriptors other than loaded code: what a leak would show in.</summary>
    public int WithoutCode => Total - Code;

    /// <summary>True for a descriptor target that is loaded code (an assembly, symbols, a native library).</summary>
    public static bool IsCode(string target) =>
        target.EndsWith(".dll", StringComparison.Ordinal) || target.EndsWith(".pdb", StringComparison.Ordinal)
        || target.EndsWith(".so", StringComparison.Ordinal) || target.Contains(".so.", StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => $"{Total} ({Sockets} sockets, {Pipes} pipes, {AnonInodes} anon, {Files - Code} files, {Code} code)";
}

/// <summary>One process as <c>/proc/PID/stat</c> shows it.</summary>
/// <param name="Pid">Its id.</param>
/// <param name="ParentPid">Its parent's id (field 4).</param>
/// <param name="State">Field 3: R, S, D, Z (zombie), ...</param>
/// <param name="Name">The command name (field 2, without parentheses).</param>
public readonly record struct ProcEntry(int Pid, int ParentPid, char State, string Name);

/// <summary>
/// Reads the Linux process table from <c>/proc</c>: descriptors of a process, its children and
/// zombies. A process that exits while it is read is skipped (its files vanish under us).
/// </summary>
public static class ProcTable
{
    /// <summary>The descriptors <paramref name="pid"/> holds now; null when the process is gone.</summary>
    public static FdCounts? Fds(int pid)
    {
        string dir = $"/proc/{pid}/fd";
        int total = 0, sockets = 0, pipes = 0, anon = 0, files = 0, code = 0;
        try
        {
            foreach (string fd in Directory.EnumerateFileSystemEntries(dir))
            {
                string? target;
                try
                {
                    target = new FileInfo(fd).LinkTarget;
                }
                catch (IOException)
                {
                    continue; // closed while we listed it
                }

                total++;
                if (target is null)
                {
                    files++;
                }
                else if (target.StartsWith("socket:", StringComparison.Ordinal))
                {
                    sockets++;
                }
                else if (target.StartsWith("pipe:", StringComparison.Ordinal))
                {
                    pipes++;
                }
                else if (target.StartsWith("anon_inode:", StringComparison.Ordinal))
                {
                    anon++;
                }
                else
                {
                    files++;
                    code += FdCounts.IsCode(target) ? 1 : 0;
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        return new FdCounts(total, sockets, pipes, anon, files, code);
    }

    /// <summary>What each descriptor of <paramref name="pid"/> links to (sockets and pipes with their inode); empty when the process is gone.</summary>
    public static List<string> FdTargets(int pid)
    {
        var list = new List<string>();
        try
        {
            foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                try
                {
                    list.Add(new FileInfo(fd).LinkTarget ?? "?");
                }
                catch (IOException)
                {
                    // Closed while we listed it.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // The process is gone.
        }

        return list;
    }

    /// <summary>Every process now (those that exit while being read are left out).</summary>
    public static List<ProcEntry> All()
    {
        var list = new List<ProcEntry>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }

            if (Read(pid) is { } entry)
            {
                list.Add(entry);
            }
        }

        return list;
    }

    /// <summary>The children of <paramref name="pid"/> (zombies included).</summary>
    public static List<ProcEntry> Children(int pid) => All().Where(p => p.ParentPid == pid).ToList();

    /// <summary>One process's entry, or null when it is gone.</summary>
    public static ProcEntry? Read(int pid)
    {
        if (ProcStat.ReadText(pid) is not { } text)
        {
            return null;
        }

        // The name (field 2) may hold spaces or parentheses: the fields after the last ')' are fixed.
        int open = text.IndexOf('(', StringComparison.Ordinal);
        int close = text.LastIndexOf(')');
        if (open < 0 || close < open || close + 4 >= text.Length)
        {
            return null;
        }

        string[] rest = text[(close + 2)..].Split(' ', 3);
        return new ProcEntry(pid, int.Parse(rest[1], System.Globalization.CultureInfo.InvariantCulture), rest[0][0], text[(open + 1)..close]);
    }
}
