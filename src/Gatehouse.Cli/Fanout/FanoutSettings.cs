namespace Gatehouse.Cli.Fanout;

/// <summary>How a fan-out shows its results (clush's output options).</summary>
internal enum OutputMode
{
    /// <summary>Default: every line as it arrives, prefixed by its node (<c>node: line</c>).</summary>
    Live,

    /// <summary><c>-b</c>/<c>-B</c>: at the end, identical outputs under one folded header.</summary>
    Gather,

    /// <summary><c>-L</c>: at the end, <c>node: line</c>, node after node (by status, then node).</summary>
    Lines,

    /// <summary><c>-bL</c>: at the end, line by line, nodes with the same line folded (<c>n[1-4]: line</c>).</summary>
    GatherLines,

    /// <summary><c>--diff</c>: at the end, each distinct output as a unified diff against the most common one.</summary>
    Diff,

    /// <summary><c>--json</c>: at the end, one JSON object per node and line.</summary>
    Json,
}

/// <summary>The output and exit options of one fan-out, checked when parsed (<see cref="FanoutOptions"/>).</summary>
internal sealed record FanoutSettings
{
    /// <summary>The command's name in messages: <c>gatehouse</c>.</summary>
    public const string Program = "gatehouse";

    /// <summary>Most nodes contacted at once by default (clush's default fan-out).</summary>
    public const int DefaultWidth = 64;

    /// <summary>Largest <c>-f</c>.</summary>
    public const int MaxWidth = 4096;

    /// <summary>Default <c>--gather-limit</c>: 256 MiB of output kept in memory for the end, all nodes together.</summary>
    public const long DefaultGatherLimit = 256L << 20;

    /// <summary>Largest <c>--gather-limit</c>: 64 GiB.</summary>
    public const long MaxGatherLimit = 64L << 30;

    public OutputMode Mode { get; init; } = OutputMode.Live;

    /// <summary><c>-B</c>: standard error is gathered with standard output instead of printed as it comes.</summary>
    public bool GatherStderr { get; init; }

    /// <summary><c>-q</c>: no node counts, no progress line, no timing line.</summary>
    public bool Quiet { get; init; }

    /// <summary><c>-S</c>: exit with the largest node status instead of 0/1/255.</summary>
    public bool MaxStatus { get; init; }

    /// <summary><c>--outdir</c>: one file of standard output per node.</summary>
    public string? OutDir { get; init; }

    /// <summary><c>--errdir</c>: one file of standard error per node.</summary>
    public string? ErrDir { get; init; }

    /// <summary><c>-f</c>: most nodes called at once.</summary>
    public int Width { get; init; } = DefaultWidth;

    /// <summary>
    /// <c>--gather-limit</c>: most bytes of output kept in memory for the end (all nodes together);
    /// beyond it the fan-out stops gathering (<see cref="GatherBudget"/>).
    /// </summary>
    public long GatherLimit { get; init; } = DefaultGatherLimit;

    /// <summary><c>--stdin</c>: this command's standard input goes to every node.</summary>
    public bool Stdin { get; init; }

    /// <summary>Whether a node's standard output is kept until the end.</summary>
    public bool BuffersStdout => Mode != OutputMode.Live;

    /// <summary>Whether a node's standard error is kept until the end.</summary>
    public bool BuffersStderr => GatherStderr || Mode == OutputMode.Json;

    /// <summary>Whether standard output lines are printed as they arrive.</summary>
    public bool LiveStdout => Mode == OutputMode.Live;

    /// <summary>Whether standard error lines are printed as they arrive (clush -b prints them so; -B gathers them).</summary>
    public bool LiveStderr => Mode != OutputMode.Json && !GatherStderr;
}
