using Gatehouse.Protocol;
namespace Gatehouse.Commands;

/// <summary>The final result of a command: an exit status, or a remctl error.</summary>
public abstract record CommandOutcome
{
    private CommandOutcome()
    {
    }

    /// <summary>The program ran and ended.</summary>
    /// <param name="ExitCode">
    /// The exit status (0..255), or -1 when the program was killed by a signal (as remctld reports it;
    /// the signal is then in <see cref="Signal"/>).
    /// </param>
    public sealed record Exited(int ExitCode) : CommandOutcome
    {
        /// <summary>The signal that killed the program, or null when it exited normally.</summary>
        public int? Signal { get; init; }

        /// <summary>True when the runner killed the program because its <c>timeout=</c> expired.</summary>
        public bool TimedOut { get; init; }
    }

    /// <summary>The command was refused or could not run; nothing more will be written.</summary>
    /// <param name="ErrorCode">A remctl error code, see <see cref="RemctlErrorCode"/>.</param>
    /// <param name="Message">The message to send to the client, as remctld words it.</param>
    public sealed record Failed(int ErrorCode, string Message) : CommandOutcome;

    /// <summary>The program was not started: a process limit (<see cref="CommandRunnerOptions.ProcessLimiter"/>) was reached.</summary>
    /// <param name="Message">Which limit, for the caller.</param>
    public sealed record Overloaded(string Message) : CommandOutcome;
}
