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
    public static List<CommandLine> Load(string path)
    {
        var lines = new List<CommandLine>();
        var stack = new List<string>();
        if (Directory.Exists(path))
        {
            IncludeTarget(path, new SourceLocation(path, 0), lines, stack);
        }
        else
        {
            LoadFile(path, lines, stack, null);
        }

        return lines;
    }

    private static void LoadFile(string path, List<CommandLine> lines, List<string> stack, SourceLocation? includedFrom)
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

        stack.Add(Path.GetFullPath(path));
        foreach (ConfigurationEntry entry in ConfigurationParser.Parse(text, path))
        {
            switch (entry)
            {
                case ConfigurationEntry.Command command:
                    CheckUser(command.Line);
                    lines.Add(command.Line);
                    break;
                case ConfigurationEntry.Include include:
                    IncludeTarget(IncludeDirectory.Resolve(include.Path, path), include.Source, lines, stack);
                    break;
            }
        }

        stack.RemoveAt(stack.Count - 1);
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

    private static void IncludeTarget(string target, SourceLocation where, List<CommandLine> lines, List<string> stack)
    {
        string full = Path.GetFullPath(target);
        if (stack.Contains(full, StringComparer.Ordinal))
        {
            throw new ConfigurationException(where.FileName, where.LineNumber, $"{target} recursively included");
        }

        if (stack.Count >= MaxIncludeDepth)
        {
            throw new ConfigurationException(where.FileName, where.LineNumber, $"includes nested deeper than {MaxIncludeDepth} levels at {target}");
        }

        if (File.Exists(target))
        {
            LoadFile(target, lines, stack, where);
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
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(where.FileName, where.LineNumber, $"included directory {target} cannot be opened: {e.Message}", e);
        }

        stack.Add(full);
        foreach (string file in files)
        {
            IncludeTarget(file, where, lines, stack);
        }

        stack.RemoveAt(stack.Count - 1);
    }
}
