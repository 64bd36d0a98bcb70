using System.Collections.Immutable;
using Gatehouse.Commands.Configuration;

namespace Gatehouse.Commands;

/// <summary>
/// A loaded remctl.conf: the command lines in order (includes expanded). Immutable and safe to
/// share between threads; to reload, load a new instance and swap it in.
/// </summary>
public sealed class CommandConfiguration
{
    private CommandConfiguration(ImmutableArray<CommandLine> lines) => Lines = lines;

    /// <summary>The command lines, in the order remctld would try them.</summary>
    public ImmutableArray<CommandLine> Lines { get; }

    /// <summary>
    /// Loads the configuration file at <paramref name="path"/> and every file it includes (a
    /// directory path is loaded as if included). All or nothing.
    /// </summary>
    /// <returns>The configuration.</returns>
    /// <exception cref="ConfigurationException">A file cannot be read or a line does not parse; the message is <c>FILE:LINE: problem</c>.</exception>
    public static CommandConfiguration Load(string path) => new([.. ConfigurationLoader.Load(path)]);

    /// <summary>
    /// Parses configuration text without touching the file system. <c>include</c> directives are
    /// rejected because resolving them needs I/O; use <see cref="Load"/> for files that include others.
    /// </summary>
    /// <param name="text">The configuration text.</param>
    /// <param name="fileName">The name used in error messages and in each line's <see cref="CommandLine.Source"/>.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="ConfigurationException">A line does not parse, or the text holds an include directive.</exception>
    public static CommandConfiguration Parse(string text, string fileName)
    {
        var lines = ImmutableArray.CreateBuilder<CommandLine>();
        foreach (ConfigurationEntry entry in ConfigurationParser.Parse(text, fileName))
        {
            if (entry is ConfigurationEntry.Include include)
            {
                throw new ConfigurationException(fileName, include.Source.LineNumber, "include is not allowed when parsing text; use Load");
            }

            lines.Add(((ConfigurationEntry.Command)entry).Line);
        }

        return new CommandConfiguration(lines.ToImmutable());
    }

    /// <summary>
    /// Finds the first line matching a command and subcommand (null when no subcommand was given),
    /// with remctld's <c>ALL</c> and <c>EMPTY</c> rules.
    /// </summary>
    /// <returns>The line, or null when no line matches (remctl error 5, unknown command).</returns>
    public CommandLine? Find(string command, string? subcommand)
    {
        foreach (CommandLine line in Lines)
        {
            if (line.Matches(command, subcommand))
            {
                return line;
            }
        }

        return null;
    }
}
