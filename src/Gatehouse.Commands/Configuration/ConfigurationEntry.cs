namespace Gatehouse.Commands.Configuration;

/// <summary>What one logical line of remctl.conf holds, as the pure parser sees it.</summary>
internal abstract record ConfigurationEntry(SourceLocation Source)
{
    /// <summary>A command line.</summary>
    public sealed record Command(CommandLine Line) : ConfigurationEntry(Line.Source);

    /// <summary>An <c>include FILE|DIR</c> directive, not yet resolved.</summary>
    public sealed record Include(string Path, SourceLocation Where) : ConfigurationEntry(Where);
}
