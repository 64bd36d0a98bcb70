namespace Gatehouse.Remctl;

/// <summary>
/// How a remote command ended: <see cref="ExitStatus"/> from MESSAGE_STATUS, or <see cref="ErrorCode"/> and
/// <see cref="ErrorMessage"/> from MESSAGE_ERROR. Output is collected in <see cref="Stdout"/> and
/// <see cref="Stderr"/> unless an output callback was given.
/// </summary>
public sealed record RemctlResult
{
    /// <summary>Exit status (0-255) when the command ran, else null.</summary>
    public int? ExitStatus { get; init; }

    /// <summary>remctl error code when the server refused or failed the command, else null.</summary>
    public int? ErrorCode { get; init; }

    /// <summary>The server's error message, when <see cref="ErrorCode"/> is set.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Collected standard output (empty when a callback received it).</summary>
    public ReadOnlyMemory<byte> Stdout { get; init; }

    /// <summary>Collected standard error (empty when a callback received it).</summary>
    public ReadOnlyMemory<byte> Stderr { get; init; }

    /// <summary>True when the server answered with MESSAGE_ERROR.</summary>
    public bool IsError => ErrorCode is not null;
}

/// <summary>Receives output while a command runs (stream 1 = stdout, 2 = stderr).</summary>
public delegate ValueTask RemctlOutputCallback(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
