namespace Gatehouse.Cli.Fanout;

/// <summary>How one node's call ended.</summary>
internal enum OutcomeKind
{
    /// <summary>The command ran and exited (any exit status).</summary>
    Exited,

    /// <summary>The node answered with an error status (unknown command, access denied, deadline...).</summary>
    RemoteError,

    /// <summary>The node could not be reached, refused us, or could not be authenticated; nothing ran.</summary>
    NotConnected,

    /// <summary>The user interrupted the fan-out (Ctrl-C) before the node answered.</summary>
    Interrupted,

    /// <summary>Not called at all (a cluster member without a remctl listener).</summary>
    Skipped,
}

/// <summary>
/// One node's result: its kind, the exit status <c>gatehouse</c> gives it (docs/cli.md), and a
/// message that does not name the node, so identical failures fold under one node set.
/// </summary>
/// <param name="Node">The node.</param>
/// <param name="Kind">How it ended.</param>
/// <param name="Status">Its exit status: the remote one, an error's code (<see cref="ExitCodes"/>), 255 when not connected, 130 when interrupted.</param>
/// <param name="Message">Why it did not exit normally; null for <see cref="OutcomeKind.Exited"/>.</param>
/// <param name="Duration">From the start of the node's call to its end.</param>
internal sealed record NodeOutcome(string Node, OutcomeKind Kind, int Status, string? Message, TimeSpan Duration)
{
    public static NodeOutcome Exited(string node, int code, TimeSpan duration) => new(node, OutcomeKind.Exited, code, null, duration);

    public static NodeOutcome NotConnected(string node, string message, TimeSpan duration) => new(node, OutcomeKind.NotConnected, ExitCodes.ConnectionFailed, message, duration);

    public static NodeOutcome Interrupted(string node, TimeSpan duration) => new(node, OutcomeKind.Interrupted, ExitCodes.Interrupted, "interrupted", duration);

    public static NodeOutcome Skipped(string node, string message) => new(node, OutcomeKind.Skipped, 0, message, TimeSpan.Zero);

    /// <summary>The connection failure behind a <see cref="OutcomeKind.NotConnected"/> node, when there was one (a changed fingerprint is shown loudly).</summary>
    public Gatehouse.Transport.Connections.ConnectException? Cause { get; init; }

    /// <summary>The exit code of an <see cref="OutcomeKind.Exited"/> node, else null.</summary>
    public int? ExitCode => Kind == OutcomeKind.Exited ? Status : null;
}
