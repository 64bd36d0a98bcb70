namespace Gatehouse.Commands.Configuration;

/// <summary>
/// A remctl.conf file (or an ACL written inline in it) could not be parsed or loaded. The message
/// is formatted as remctld formats it: <c>FILE:LINE: problem</c>.
/// </summary>
public sealed class ConfigurationException : Exception
{
    /// <summary>Creates an exception for a problem at a known place.</summary>
    /// <param name="fileName">The file being parsed.</param>
    /// <param name="lineNumber">The 1-based line number where the logical line starts, or 0 when unknown.</param>
    /// <param name="problem">What is wrong, without the location prefix.</param>
    /// <param name="innerException">The I/O error behind the problem, if any.</param>
    public ConfigurationException(string fileName, int lineNumber, string problem, Exception? innerException = null)
        : base(lineNumber > 0 ? $"{fileName}:{lineNumber}: {problem}" : $"{fileName}: {problem}", innerException)
    {
        FileName = fileName;
        LineNumber = lineNumber;
        Problem = problem;
    }

    /// <summary>Creates an exception with a message only.</summary>
    public ConfigurationException()
        : this("(unknown)", 0, "configuration error")
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public ConfigurationException(string message)
        : this("(unknown)", 0, message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public ConfigurationException(string message, Exception innerException)
        : this("(unknown)", 0, message, innerException)
    {
    }

    /// <summary>The file in which the problem was found.</summary>
    public string FileName { get; }

    /// <summary>The 1-based line number where the offending logical line starts (0 when not tied to a line).</summary>
    public int LineNumber { get; }

    /// <summary>The problem, without the <c>FILE:LINE:</c> prefix.</summary>
    public string Problem { get; }
}
