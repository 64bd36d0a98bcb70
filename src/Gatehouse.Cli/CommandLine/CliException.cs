namespace Gatehouse.Cli.CommandLine;

/// <summary>
/// An expected failure of a command: <see cref="Program"/> prints its message as one line
/// (<c>gatehouse: message</c>) and exits with <see cref="ExitCode"/>, never with a stack trace.
/// </summary>
internal sealed class CliException : Exception
{
    public CliException(string message, int exitCode, Exception? inner = null)
        : base(message, inner)
    {
        ExitCode = exitCode;
    }

    public CliException()
    {
    }

    public CliException(string message)
        : this(message, ExitCodes.Failure)
    {
    }

    public CliException(string message, Exception inner)
        : this(message, ExitCodes.Failure, inner)
    {
    }

    public int ExitCode { get; }
}
