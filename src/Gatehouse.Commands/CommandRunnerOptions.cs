using Gatehouse.Commands.Acl;
using Gatehouse.Commands.Configuration;
using Gatehouse.Commands.Exec;

namespace Gatehouse.Commands;

/// <summary>
/// Runs a non-exec line (today: <c>type=zeromq</c>) for the <see cref="CommandRunner"/>. For help and
/// summary requests the runner passes a synthesized invocation whose arguments are the help or
/// summary argument (and subcommand), as remctld would pass them to the program.
/// </summary>
/// <param name="line">The matched, authorized line.</param>
/// <param name="invocation">The invocation to forward.</param>
/// <param name="stdin">The caller's stdin stream, or null.</param>
/// <param name="output">Where output goes.</param>
/// <param name="cancellationToken">Cancels the call.</param>
/// <returns>The outcome.</returns>
public delegate Task<CommandOutcome> CommandBackend(CommandLine line, CommandInvocation invocation, Stream? stdin, ICommandOutput output, CancellationToken cancellationToken);

/// <summary>Settings of a <see cref="CommandRunner"/>. Immutable; the defaults are safe.</summary>
public sealed record CommandRunnerOptions
{
    /// <summary>The smallest accepted <see cref="OutputBufferSize"/>.</summary>
    public const int MinOutputBufferSize = 1024;

    /// <summary>The largest accepted <see cref="OutputBufferSize"/>.</summary>
    public const int MaxOutputBufferSize = 1024 * 1024;

    private readonly int outputBufferSize = 64 * 1024;

    /// <summary>The default options.</summary>
    public static CommandRunnerOptions Default { get; } = new();

    /// <summary>Where ACL checks look up groups, users and local realms.</summary>
    public AclContext Acl { get; init; } = AclContext.Default;

    /// <summary>
    /// The largest chunk read from a program's stdout or stderr, and so the most output bytes the
    /// runner holds per stream (default 64 KiB, clamped to 1 KiB .. 1 MiB).
    /// </summary>
    public int OutputBufferSize
    {
        get => outputBufferSize;
        init => outputBufferSize = Math.Clamp(value, MinOutputBufferSize, MaxOutputBufferSize);
    }

    /// <summary>How long after SIGTERM a timed-out or cancelled command's process group gets SIGKILL (default 5 s).</summary>
    public TimeSpan KillGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The timeout for lines without <c>timeout=</c>; null (the default, as remctld) means none.</summary>
    public TimeSpan? DefaultTimeout { get; init; }

    /// <summary>The sudo executed for <c>sudo=</c> lines (remctld's PATH_SUDO on Debian).</summary>
    public string SudoPath { get; init; } = "/usr/bin/sudo";

    /// <summary>
    /// util-linux's setpriv, which switches credentials for <c>user=</c> lines when the gateway runs
    /// as root (docs/commands.md, *user= and sudo=*).
    /// </summary>
    public string SetprivPath { get; init; } = "/usr/bin/setpriv";

    /// <summary>perl (perl-base, Essential on Debian), which execs a <c>user=</c> line's program with remctld's argv[0] after setpriv.</summary>
    public string PerlPath { get; init; } = "/usr/bin/perl";

    /// <summary>The programs' working directory (remctld runs from / as a daemon or from inetd).</summary>
    public string WorkingDirectory { get; init; } = "/";

    /// <summary>Runs <c>type=zeromq</c> lines; when null, such lines fail with an internal error.</summary>
    public CommandBackend? ZeroMqBackend { get; init; }

    /// <summary>
    /// Caps exec processes running at once, in total and per principal (the key is the caller's
    /// principal); null: no cap. A refused command gets <see cref="CommandOutcome.Overloaded"/> and no
    /// process is started. Help and summary programs count too.
    /// </summary>
    public Limits.KeyedLimiter? ProcessLimiter { get; init; }

    /// <summary>Test hook: the gateway's effective UID as <c>user=</c> sees it (geteuid when null), so the not-root path can be tested as root.</summary>
    internal Func<uint>? EffectiveUid { get; init; }

    /// <summary>Test hook: counts output bytes held by the runner.</summary>
    internal OutputMeter? Meter { get; init; }
}
