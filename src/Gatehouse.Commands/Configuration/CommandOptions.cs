using System.Collections.Immutable;

namespace Gatehouse.Commands.Configuration;

/// <summary>Which backend runs a configuration line (the <c>type=</c> option).</summary>
public enum BackendType
{
    /// <summary>Fork and exec the program (remctld's only behaviour, and the default).</summary>
    Exec,

    /// <summary>The program field is a ZeroMQ REQ/REP endpoint such as <c>tcp://127.0.0.1:5555</c>.</summary>
    ZeroMq,
}

/// <summary>Which argument a <c>stdin=</c> option passes on standard input.</summary>
/// <param name="Index">The 1-based argument number (the subcommand is 1), or -1 for <c>last</c>.</param>
public readonly record struct StdinArgument(int Index)
{
    /// <summary>The value of <c>stdin=last</c>.</summary>
    public static StdinArgument Last { get; } = new(-1);

    /// <summary>True for <c>stdin=last</c>.</summary>
    public bool IsLast => Index == -1;

    /// <summary>
    /// Resolves the option against an argument count (arguments after the command, subcommand first).
    /// </summary>
    /// <returns>The 0-based position in the argument list, or -1 when no argument is passed on stdin.</returns>
    public int Resolve(int argumentCount)
    {
        int position = IsLast ? argumentCount - 1 : Index - 1;
        return position >= 0 && position < argumentCount ? position : -1;
    }

    /// <inheritdoc />
    public override string ToString() => IsLast ? "last" : Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The <c>key=value</c> options of one configuration line. Immutable; defaults are remctld's.</summary>
public sealed record CommandOptions
{
    /// <summary>Options with every value at its default.</summary>
    public static CommandOptions Default { get; } = new();

    /// <summary><c>stdin=</c>: the argument passed on standard input, or null.</summary>
    public StdinArgument? Stdin { get; init; }

    /// <summary><c>summary=</c>: the argument that makes the program print a usage summary, or null.</summary>
    public string? Summary { get; init; }

    /// <summary><c>help=</c>: the argument that makes the program print help, or null.</summary>
    public string? Help { get; init; }

    /// <summary><c>user=</c>: the user name or UID to run as, or null.</summary>
    public string? User { get; init; }

    /// <summary><c>sudo=</c>: the user passed to <c>sudo -u</c>, or null.</summary>
    public string? Sudo { get; init; }

    /// <summary><c>logmask=</c>: argument numbers (subcommand is 1) logged as <c>**MASKED**</c>.</summary>
    public ImmutableArray<int> LogMask { get; init; } = [];

    /// <summary><c>type=</c>: which backend runs the line (Gatehouse extension).</summary>
    public BackendType Type { get; init; } = BackendType.Exec;

    /// <summary><c>timeout=</c>: how long the command may run before its process group is killed (Gatehouse extension).</summary>
    public TimeSpan? Timeout { get; init; }
}
