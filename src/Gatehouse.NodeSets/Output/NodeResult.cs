namespace Gatehouse.NodeSets;

/// <summary>
/// What one node returned for a fanned-out command: its output and either an exit code or an error
/// (no exit status, e.g. a connection failure). Input to the gathering and summary renderers.
/// </summary>
public sealed record NodeResult
{
    /// <summary>Creates a result; exactly one of <paramref name="exitCode"/> and <paramref name="error"/> must be given.</summary>
    /// <param name="node">The node name (must satisfy <see cref="NodeSet.IsValidNodeName"/>).</param>
    /// <param name="stdout">Bytes written to standard output.</param>
    /// <param name="stderr">Bytes written to standard error.</param>
    /// <param name="exitCode">The command's exit status, when it ran to completion.</param>
    /// <param name="error">Why there is no exit status, e.g. <c>connection timed out</c>.</param>
    /// <exception cref="ArgumentException">Invalid node name, or not exactly one of exit code and error.</exception>
    public NodeResult(string node, ReadOnlyMemory<byte> stdout, ReadOnlyMemory<byte> stderr, int? exitCode, string? error)
    {
        if (!NodeSet.IsValidNodeName(node))
        {
            throw new ArgumentException($"\"{node}\" is not a valid node name.", nameof(node));
        }

        if (exitCode.HasValue == (error is not null))
        {
            throw new ArgumentException("Give either an exit code or an error, not both or neither.", nameof(error));
        }

        Node = node;
        Stdout = stdout;
        Stderr = stderr;
        ExitCode = exitCode;
        Error = error;
    }

    /// <summary>The node name.</summary>
    public string Node { get; }

    /// <summary>Standard output bytes (compared byte for byte when gathering).</summary>
    public ReadOnlyMemory<byte> Stdout { get; }

    /// <summary>Standard error bytes.</summary>
    public ReadOnlyMemory<byte> Stderr { get; }

    /// <summary>The exit status, or <see langword="null"/> when <see cref="Error"/> is set.</summary>
    public int? ExitCode { get; }

    /// <summary>The failure text, or <see langword="null"/> when the command exited.</summary>
    public string? Error { get; }

    /// <summary>
    /// The status as the summary prints it: <c>exit 3</c>, or <c>error: connection timed out</c>
    /// (line breaks in the error become spaces).
    /// </summary>
    public string StatusText => Error is null
        ? ExitPrefix + ExitCode
        : ErrorPrefix + string.Join(' ', Error.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    internal const string ExitPrefix = "exit ";

    internal const string ErrorPrefix = "error: ";

    /// <summary>A node whose command ran and exited.</summary>
    /// <returns>The result.</returns>
    public static NodeResult Exited(string node, int exitCode, ReadOnlyMemory<byte> stdout = default, ReadOnlyMemory<byte> stderr = default) =>
        new(node, stdout, stderr, exitCode, null);

    /// <summary>A node that gave no exit status (connection refused, timed out, ...).</summary>
    /// <returns>The result.</returns>
    public static NodeResult Failed(string node, string error, ReadOnlyMemory<byte> stdout = default, ReadOnlyMemory<byte> stderr = default) =>
        new(node, stdout, stderr, null, error ?? throw new ArgumentNullException(nameof(error)));
}
