namespace Gatehouse.Protocol;

/// <summary>Whether a STATUS carries an exit status or an error code.</summary>
public enum StatusKind : byte
{
    Exit = 0,
    Error = 1,
}

/// <summary>
/// The one final status of a request (docs/protocol.md section 2.4): an exit status, or an error
/// code with a message.
/// </summary>
public readonly record struct CallStatus(StatusKind Kind, int Code, string Message)
{
    /// <summary>The command exited with <paramref name="exitCode"/>.</summary>
    public static CallStatus Exit(int exitCode) => new(StatusKind.Exit, exitCode, string.Empty);

    /// <summary>The request failed with <paramref name="code"/>; the message defaults to the code's description.</summary>
    public static CallStatus Error(ErrorCode code, string? message = null) =>
        new(StatusKind.Error, (int)code, string.IsNullOrEmpty(message) ? ErrorCodes.Describe(code) : message);

    /// <summary>True for an exit status of 0.</summary>
    public bool IsSuccess => Kind == StatusKind.Exit && Code == 0;

    /// <summary>True when this is an error status.</summary>
    public bool IsError => Kind == StatusKind.Error;

    /// <summary>The error code (only meaningful when <see cref="IsError"/>).</summary>
    public ErrorCode ErrorCode => (ErrorCode)Code;

    /// <inheritdoc />
    public override string ToString() => Kind == StatusKind.Exit
        ? $"exit {Code}"
        : $"error {Code} ({ErrorCodes.Describe((ErrorCode)Code)}): {Message}";
}
