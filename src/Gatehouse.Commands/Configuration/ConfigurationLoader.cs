namespace Gatehouse.Commands.Configuration;

/// <summary>
/// Reads remctl.conf and everything it includes. All or nothing: either every file parses and the
/// whole list of lines is returned, or a <see cref="ConfigurationException"/> is thrown and nothing
/// is returned, so a caller reloading can keep its previous configuration.
/// </summary>
internal static class ConfigurationLoader
{
    /// <summary>Deepest include nesting accepted (a guard against include loops through symlinks).</summary>
    public const int MaxIncludeDepth = 32;

    /// <summary>Loads <paramref name="path"/> (a file, or a directory handled as if included).</summary>
    /// <exception cref="ConfigurationException">A file cannot be read or does not parse.</exception>
    /// <param name="path">The file.</param>
    /// <param name="skipped">
    /// Told about each entry of an included directory that is not read: its path, the include that
    /// named the directory, and how many command lines were loaded before it (for the migration check).
    /// </param>
    public static List<CommandLine> Load(string path, Action<string, SourceLocation, int>? skipped = null)
    {
        var lines = new List<CommandLine>();
        var walk = new Walk(lines, [], skipped);
        if (Directory.Exists(path))
        {
            IncludeTarget(path, new SourceLocation(path, 0), walk);
        }
        else
        {
            LoadFile(path, walk, null);
        }

        return lines;
    }

    private sealed record Walk(List<CommandLine> Lines, List<string> Stack, Action<string, SourceLocation, int>? Skipped);

    private static void LoadFile(string path, Walk walk, SourceLocation? includedFrom)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw includedFrom is { } from
                ? new ConfigurationException(from.FileName, from.LineNumber, $"cannot open config file {path}: {e.Message}", e)
                : new ConfigurationException(path, 0, $"cannot open config file {path}: {e.Message}", e);
        }

        walk.Stack.Add(Path.GetFullPath(path));
        foreach (ConfigurationEntry entry in ConfigurationParser.Parse(text, path))
        {
            switch (entry)
            {
                case ConfigurationEntry.Command command:
                    CheckUser(command.Line);
                    walk.Lines.Add(command.Line);
                    break;
                case ConfigurationEntry.Include include:
                    IncludeTarget(IncludeDirectory.Resolve(include.Path, path), include.Source, walk);
                    break;
            }
        }

        walk.Stack.RemoveAt(walk.Stack.Count - 1);
    }

    /// <summary>
    /// As remctld's option_user: a <c>user=</c> value must name a user in the system's user database
    /// (a positive number is a UID), or the file does not load.
    /// </summary>
    private static void CheckUser(CommandLine line)
    {
        if (line.Options.User is { } user && Exec.Native.Passwd.Find(user) is null)
        {
            throw new ConfigurationException(line.Source.FileName, line.Source.LineNumber, $"invalid user value {user}");
        }
    }

    private static void IncludeTarget(string target, SourceLocation where, Walk walk)
    {
        string full = Path.GetFullPath(target);
        if (walk.Stack.Contains(full, StringComparer.Ordinal))
        {
            throw new ConfigurationException(where.FileName, where.LineNumber, $"{target} recursively included");
        }

        if (walk.Stack.Count >= MaxIncludeDepth)
        {
            throw new ConfigurationException(where.FileName, where.LineNumber, $"includes nested deeper than {MaxIncludeDepth} levels at {target}");
        }

        if (File.Exists(target))
        {
            LoadFile(target, walk, where);
            return;
        }

        if (!Directory.Exists(target))
        {
            throw new ConfigurationException(where.FileName, where.LineNumber, $"included file {target} not found");
        }

        List<string> files;
        try
        {
            files = IncludeDirectory.ListFiles(target);
            if (walk.Skipped is { } report)
            {
                foreach (string name in IncludeDirectory.ListSkipped(target))
                {
                    report(name, where, walk.Lines.Count);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(where.FileName, where.LineNumber, $"included directory {target} cannot be opened: {e.Message}", e);
        }

        walk.Stack.Add(full);
        foreach (string file in files)
        {
            IncludeTarget(file, where, walk);
        }

        walk.Stack.RemoveAt(walk.Stack.Count - 1);
    }
}
