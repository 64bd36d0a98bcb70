using Gatehouse.Protocol;

namespace Gatehouse.Client.Fanout;

/// <summary>
/// One node's outcome of a fan-out call. Failures are values here, never exceptions, so one bad
/// node never hides the others' answers.
/// </summary>
/// <param name="Node">The node asked.</param>
/// <param name="Result">Output and final status when the node answered (also for <see cref="NodeFailure.RemoteError"/> and <see cref="NodeFailure.Deadline"/>); null when it was never reached.</param>
/// <param name="Failure">What went wrong; <see cref="NodeFailure.None"/> when the command exited.</param>
/// <param name="Message">Human-readable cause; null when <paramref name="Failure"/> is <see cref="NodeFailure.None"/>.</param>
/// <param name="Elapsed">From the start of the node's call (including waiting for a fanout slot, connects and retries) to its result.</param>
/// <param name="Attempts">How many attempts were made (1 when nothing was retried; 0 when cancelled before the first).</param>
public sealed record NodeResult(FanoutNode Node, CallResult? Result, NodeFailure Failure, string? Message, TimeSpan Elapsed, int Attempts)
{
    /// <summary>True when the command ran and exited 0.</summary>
    public bool Succeeded => Failure == NodeFailure.None && Result is { Succeeded: true };

    /// <summary>The exit code, or null when the node gave none.</summary>
    public int? ExitCode => Failure == NodeFailure.None ? Result?.ExitCode : null;

    /// <summary>The node's error code for <see cref="NodeFailure.RemoteError"/> and <see cref="NodeFailure.Deadline"/> answers, else null.</summary>
    public ErrorCode? RemoteErrorCode => Result is { Status.IsError: true } r ? r.Status.ErrorCode : null;

    /// <inheritdoc />
    public override string ToString() => Failure == NodeFailure.None
        ? $"{Node.Name}: {Result?.Status} in {Elapsed.TotalMilliseconds:0} ms"
        : $"{Node.Name}: {Failure}: {Message} (after {Elapsed.TotalMilliseconds:0} ms, {Attempts} attempt(s))";
}
