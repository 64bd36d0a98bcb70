using Gatehouse.Commands.Acl;
using Gatehouse.Commands.Exec.Native;

namespace Gatehouse.Commands.Configuration;

/// <summary>One thing the migration check found, at a file and line (0 when the finding is about a whole file).</summary>
/// <param name="File">The file.</param>
/// <param name="Line">The 1-based line, or 0.</param>
/// <param name="Message">What remctld would do differently, or why the line will deny.</param>
public sealed record MigrationFinding(string File, int Line, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>The result of <see cref="MigrationCheck.Run"/>.</summary>
/// <param name="LoadError">Why the file does not load (the gateway would not start with it), or null.</param>
/// <param name="LineCount">The command lines loaded (0 when it does not load).</param>
/// <param name="Findings">Everything found, in file order of the lines.</param>
public sealed record MigrationReport(string? LoadError, int LineCount, IReadOnlyList<MigrationFinding> Findings);

/// <summary>
/// The remctl migration check (<c>gatehouse remctl-check</c>, <c>gatehouse gateway --check</c>):
/// loads a remctl.conf exactly as the gateway does, then lists every line remctld would treat
/// differently and every entry that will deny when checked: ACL entries that are errors (unknown
/// methods, invalid <c>anyuser:</c>, missing or malformed ACL files), <c>pcre:</c> patterns whose
/// meaning differs in .NET's engine, <c>localgroup:</c> groups not in the group file, programs that
/// cannot be executed, <c>user=</c> lines a gateway not running as root cannot switch for,
/// <c>sudo=</c> lines with help or summary, Gatehouse-only options, and files of included
/// directories that are not read. Reads files; runs nothing.
/// </summary>
public static class MigrationCheck
{
    private const int MaxAclDepth = 32;

    /// <summary>Checks <paramref name="path"/>.</summary>
    /// <param name="path">The remctl.conf (or a directory, loaded as if included).</param>
    /// <param name="context">Where ACL lookups read (the gateway's default when null).</param>
    /// <returns>The report.</returns>
    public static MigrationReport Run(string path, AclContext? context = null)
    {
        context ??= AclContext.Default;
        // Each finding is kept with the index of the command line it belongs to (findings inside ACL
        // files go with the line that uses the file; a skipped include entry goes before the lines
        // loaded after it), so the report reads in the order the gateway reads the configuration.
        var skipped = new List<(int Index, MigrationFinding Finding)>();
        List<CommandLine> lines;
        try
        {
            lines = ConfigurationLoader.Load(path, (entry, where, before) => skipped.Add((before, new MigrationFinding(
                where.FileName,
                where.LineNumber,
                Directory.Exists(entry)
                    ? $"{entry} is a directory inside an included directory and is not read (remctld reads it as an empty file)"
                    : $"{entry} is not read: in an included directory only names made of letters, digits, '_' and '-' are read (as remctld's source does; its manual says only 'no period')"))));
        }
        catch (ConfigurationException e)
        {
            return new MigrationReport(e.Message, 0, []);
        }

        var ordered = new List<MigrationFinding>();
        var seenFiles = new HashSet<string>(StringComparer.Ordinal);
        string? groupText = ReadOrNull(context.GroupFile);
        uint euid = Libc.GetEuid();
        int next = 0;
        for (int i = 0; i < lines.Count; i++)
        {
            for (; next < skipped.Count && skipped[next].Index <= i; next++)
            {
                ordered.Add(skipped[next].Finding);
            }

            CommandLine line = lines[i];
            var where = line.Source;
            CheckOptions(line, euid, ordered);
            foreach (AclEntry entry in line.Acls)
            {
                CheckAcl(entry, where.FileName, where.LineNumber, groupText, context, ordered, seenFiles, 0);
            }
        }

        ordered.AddRange(skipped.Skip(next).Select(s => s.Finding));
        foreach (string file in lines.Select(l => l.Source.FileName).Prepend(path).Distinct(StringComparer.Ordinal))
        {
            if (File.Exists(file) && ReadOrNull(file) is { Length: > 0 } text && text[^1] != '\n')
            {
                ordered.Add(new MigrationFinding(file, 0, "the last line has no newline: remctld refuses the whole configuration ('no final line or newline'); Gatehouse reads it"));
            }
        }
        return new MigrationReport(null, lines.Count, ordered);
    }

    private static void CheckOptions(CommandLine line, uint euid, List<MigrationFinding> findings)
    {
        void Add(string message) => findings.Add(new MigrationFinding(line.Source.FileName, line.Source.LineNumber, message));

        if (line.Options.Type != BackendType.Exec)
        {
            Add("type=zeromq is a Gatehouse extension: remctld refuses this file (unknown option)");
        }

        if (line.Options.Timeout is not null)
        {
            Add("timeout= is a Gatehouse extension: remctld refuses this file (unknown option)");
        }

        if (line.Options.Type == BackendType.Exec)
        {
            string? problem = ProgramProblem(line.Program);
            if (problem is not null && line.Options.Sudo is null)
            {
                Add($"program {line.Program} {problem}: callers get 'remctld: cannot execute command' and status 255");
            }
            else if (problem is not null)
            {
                Add($"program {line.Program} {problem} (run through sudo, which will fail)");
            }
        }

        if (line.Options.Sudo is not null && (line.Options.Help is not null || line.Options.Summary is not null))
        {
            Add("sudo= with help= or summary=: Gatehouse runs help and summary through sudo too; remctld runs sudo without its -u USER -- prefix for them, which fails");
        }

        if (line.Options.User is not null && Exec.UserSwitch.MissingTool(CommandRunnerOptions.Default.SetprivPath, CommandRunnerOptions.Default.PerlPath) is { } missing)
        {
            Add($"user= needs {missing} (util-linux setpriv and perl switch the user), which does not exist: callers get error 1 (Internal failure)");
        }

        if (line.Options.User is { } user && Passwd.Find(user) is { } entry && entry.Uid != 0 && entry.Uid != euid && euid != 0)
        {
            Add($"user={user} needs a switch to UID {entry.Uid}: only a gateway running as root can (this check runs as UID {euid}); otherwise callers get 'cannot initgroups' and status 255");
        }
    }

    private static string? ProgramProblem(string program)
    {
        string path = Path.IsPathRooted(program) ? program : Path.Combine("/", program);
        if (Directory.Exists(path))
        {
            return "is a directory";
        }

        if (!File.Exists(path))
        {
            return "does not exist";
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & anyExecute) == 0 ? "is not executable" : null;
    }

    private static void CheckAcl(AclEntry entry, string file, int line, string? groupText, AclContext context, List<MigrationFinding> findings, HashSet<string> seenFiles, int depth)
    {
        void Add(string message) => findings.Add(new MigrationFinding(file, line, message));

        switch (entry)
        {
            case AclEntry.InvalidAcl invalid:
                Add($"ACL entry '{invalid.Text}': {invalid.Problem}; checking it is an error, which denies this line to every caller not matched by an earlier entry (as in remctld)");
                break;
            case AclEntry.DenyAcl deny:
                CheckAcl(deny.Inner, file, line, groupText, context, findings, seenFiles, depth);
                break;
            case AclEntry.RegexAcl regex when regex.Text.StartsWith("pcre:", StringComparison.Ordinal):
                foreach (string note in PcreNotes(regex.Pattern))
                {
                    Add($"ACL entry '{regex.Text}': {note}");
                }

                break;
            case AclEntry.LocalGroupAcl group when groupText is not null && UnixAccounts.FindGroup(groupText, group.Group) is null:
                Add($"ACL entry '{group.Text}': group {group.Group} is not in {context.GroupFile}, which is the only group database Gatehouse reads (remctld asks NSS, so a group from LDAP or sssd matches there and never here)");
                break;
            case AclEntry.FileAcl acl:
                CheckAclPath(IncludeDirectory.Resolve(acl.Path, file), acl.Text, file, line, groupText, context, findings, seenFiles, depth);
                break;
        }
    }

    private static void CheckAclPath(string target, string text, string file, int line, string? groupText, AclContext context, List<MigrationFinding> findings, HashSet<string> seenFiles, int depth)
    {
        if (depth >= MaxAclDepth)
        {
            findings.Add(new MigrationFinding(file, line, $"ACL entry '{text}': includes nested deeper than {MaxAclDepth} levels; checking it is an error, which denies"));
            return;
        }

        if (File.Exists(target))
        {
            CheckAclFile(target, groupText, context, findings, seenFiles, depth);
            return;
        }

        if (!Directory.Exists(target))
        {
            findings.Add(new MigrationFinding(file, line, $"ACL entry '{text}': {target} not found; checking it is an error, which denies this line to every caller not matched by an earlier entry (as in remctld)"));
            return;
        }

        try
        {
            foreach (string skipped in IncludeDirectory.ListSkipped(target))
            {
                findings.Add(new MigrationFinding(file, line, $"ACL entry '{text}': {skipped} is not read (only names made of letters, digits, '_' and '-' are, as in remctld's source)"));
            }

            foreach (string path in IncludeDirectory.ListFiles(target))
            {
                CheckAclFile(path, groupText, context, findings, seenFiles, depth);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            findings.Add(new MigrationFinding(file, line, $"ACL entry '{text}': directory {target} cannot be read ({e.Message}); checking it is an error, which denies"));
        }
    }

    private static void CheckAclFile(string path, string? groupText, AclContext context, List<MigrationFinding> findings, HashSet<string> seenFiles, int depth)
    {
        if (!seenFiles.Add(Path.GetFullPath(path)))
        {
            return; // Already reported (shared by several lines, or an include loop the evaluator denies).
        }

        if (ReadOrNull(path) is not { } text)
        {
            findings.Add(new MigrationFinding(path, 0, "cannot be read; every line using this ACL file is denied when it is reached"));
            return;
        }

        foreach (AclFileLine entry in AclFileParser.Parse(text))
        {
            if (entry.Error is not null)
            {
                findings.Add(new MigrationFinding(path, entry.LineNumber, $"{entry.Error}: reaching this line is an error, which denies (as in remctld)"));
                continue;
            }

            AclEntry parsed;
            try
            {
                parsed = AclParser.Parse(entry.Text, entry.IsInclude ? AclMethod.File : AclMethod.Princ);
            }
            catch (AclSyntaxException e)
            {
                findings.Add(new MigrationFinding(path, entry.LineNumber, $"ACL entry '{entry.Text}': {e.Message}; reaching it is an error, which denies (as in remctld)"));
                continue;
            }

            CheckAcl(parsed, path, entry.LineNumber, groupText, context, findings, seenFiles, depth + 1);
        }
    }

    /// <summary>Constructs that compile in both PCRE2 and .NET but match differently.</summary>
    private static IEnumerable<string> PcreNotes(string pattern)
    {
        if (pattern.Contains("[:", StringComparison.Ordinal))
        {
            yield return "POSIX classes such as [[:alpha:]] are not understood by .NET's engine (it reads them as a set of characters), so this entry matches differently from remctld; write [a-zA-Z] instead";
        }

        foreach (string escape in new[] { "\\d", "\\w", "\\s", "\\b", "\\D", "\\W", "\\S", "\\B" })
        {
            if (pattern.Contains(escape, StringComparison.Ordinal))
            {
                yield return $"{escape} matches Unicode characters in .NET's engine but only ASCII in PCRE2 (without (*UCP)); the same for ASCII principals";
                break;
            }
        }
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
