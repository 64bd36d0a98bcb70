using System.Collections.Immutable;
using Gatehouse.Commands.Acl;

namespace Gatehouse.Commands.Configuration;

/// <summary>One command line of remctl.conf: <c>command subcommand program [options] acl...</c>.</summary>
/// <param name="Command">The command, or <c>ALL</c>.</param>
/// <param name="Subcommand">The subcommand, or <c>ALL</c>, or <c>EMPTY</c>.</param>
/// <param name="Program">
/// The full path of the executable for <see cref="BackendType.Exec"/> lines; the ZeroMQ endpoint
/// for <see cref="BackendType.ZeroMq"/> lines.
/// </param>
/// <param name="Options">The parsed options.</param>
/// <param name="Acls">The ACL entries, in order.</param>
/// <param name="Source">Where the line was read.</param>
public sealed record CommandLine(
    string Command,
    string Subcommand,
    string Program,
    CommandOptions Options,
    ImmutableArray<AclEntry> Acls,
    SourceLocation Source)
{
    /// <summary>The keyword matching any command or subcommand.</summary>
    public const string All = "ALL";

    /// <summary>The keyword matching a command given without a subcommand.</summary>
    public const string Empty = "EMPTY";

    /// <summary>
    /// True when this line matches the command and subcommand (null when none was given), with
    /// remctld's rules: <c>ALL</c> matches anything, <c>EMPTY</c> matches only a missing subcommand.
    /// </summary>
    public bool Matches(string command, string? subcommand)
    {
        bool commandOk = Command == All || Command == command;
        if (!commandOk)
        {
            return false;
        }

        return Subcommand == All
            || (subcommand is not null && Subcommand == subcommand)
            || (subcommand is null && Subcommand == Empty);
    }

    /// <summary>The file name of the program (argv[0] as remctld builds it): the text after the last <c>/</c>.</summary>
    public string ProgramName
    {
        get
        {
            int slash = Program.LastIndexOf('/');
            return slash < 0 ? Program : Program[(slash + 1)..];
        }
    }
}
