using Gatehouse.Protocol;
using Gatehouse.Commands.Configuration;

namespace Gatehouse.Commands;

/// <summary>What a request resolved to.</summary>
public enum ResolutionKind
{
    /// <summary>Refused: see <see cref="CommandResolution.Error"/>.</summary>
    Failed,

    /// <summary>Run <see cref="CommandResolution.Line"/> with the caller's arguments.</summary>
    Command,

    /// <summary><c>help COMMAND [SUB]</c>: run <see cref="CommandResolution.Line"/> with its <c>help=</c> argument.</summary>
    Help,

    /// <summary><c>help</c> alone: run every permitted line's <c>summary=</c> argument.</summary>
    Summary,
}

/// <summary>
/// The result of resolving and authorizing an invocation, before anything runs. A gateway can use it
/// to send <see cref="BackendType.ZeroMq"/> lines to its ZeroMQ backend itself.
/// </summary>
/// <param name="Kind">What to do.</param>
/// <param name="Line">
/// The matched, authorized line (for <see cref="ResolutionKind.Command"/> and <see cref="ResolutionKind.Help"/>);
/// for a refusal after a line matched (access denied, no help), that line (its <c>logmask=</c> still applies to logs).
/// </param>
/// <param name="Error">The refusal (for <see cref="ResolutionKind.Failed"/>).</param>
public sealed record CommandResolution(ResolutionKind Kind, CommandLine? Line, CommandOutcome.Failed? Error)
{
    internal static CommandResolution Fail(RemctlErrorCode code, string message, CommandLine? line = null) => new(ResolutionKind.Failed, line, new CommandOutcome.Failed((int)code, message));
}
