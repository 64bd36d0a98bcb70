using System.CommandLine;
using Gatehouse.Cli.CommandLine;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// The clush options of <c>call</c> and <c>remctl</c> (same letters as clush): which nodes, how
/// their output is shown, how many at once, and the exit status. One instance per command.
/// </summary>
internal sealed class FanoutOptions
{
    public Option<string[]> Nodes { get; } = new("--nodes", "-w") { Description = "Call every node of this node set, e.g. 'gw[1-20]', 'gw[1-3]:7341', '@group', or '@cluster' with --via GATEWAY (repeatable)", HelpName = "NODESET" };

    public Option<string[]> Exclude { get; } = new("--exclude", "-x") { Description = "Leave these nodes out (a node set; repeatable)", HelpName = "NODESET" };

    public Option<string[]> ExcludeGroup { get; } = new("--exclude-group", "-X") { Description = "Leave this group's nodes out (repeatable)", HelpName = "GROUP" };

    public Option<bool> Gather { get; } = new("--gather", "-b") { Description = "At the end, gather standard output: identical outputs of nodes with the same exit status under one folded node set (stderr is printed as it comes)" };

    public Option<bool> GatherAll { get; } = new("--gather-all", "-B") { Description = "Like -b, with standard error gathered too" };

    public Option<bool> Lines { get; } = new("--lines", "-L") { Description = "At the end, print 'node: line' node after node (by exit status, then node); with -b, line by line with nodes folded" };

    public Option<bool> Diff { get; } = new("--diff") { Description = "At the end, show each distinct output as a unified diff against the most common one" };

    public Option<bool> Json { get; } = new("--json") { Description = "At the end, one JSON object per node and line: node, exitCode, error, stdout, stderr, durationSeconds" };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "No node counts, no progress line" };

    public Option<bool> MaxStatus { get; } = new("--maxrc", "-S") { Description = "Exit with the largest node status (remote exit status, an error's code, 255 for a node not reached) instead of 0/1/255" };

    public Option<int> Width { get; } = OptionValues.Count("--fanout", ["-f"], $"Most nodes called at once (1..{FanoutSettings.MaxWidth})", FanoutSettings.DefaultWidth, 1, FanoutSettings.MaxWidth);

    public Option<long> GatherLimit { get; } = OptionValues.Bytes("--gather-limit", [], "Most output kept in memory for -b, -B, -L, --diff, --json, all nodes together; beyond it, no more gathering: outputs are printed as they come (with --json, cut and marked truncated)", FanoutSettings.DefaultGatherLimit, 1, FanoutSettings.MaxGatherLimit);

    public Option<string?> OutDir { get; } = new("--outdir") { Description = "Also write each node's standard output to DIR/NODE (DIR is made if missing)", HelpName = "DIR" };

    public Option<string?> ErrDir { get; } = new("--errdir") { Description = "Also write each node's standard error to DIR/NODE", HelpName = "DIR" };

    public Option<string?> Groups { get; } = new("--groups") { Description = "Groups file for @group names (default: groups in your config directory)", HelpName = "FILE" };

    public Option<string?> Via { get; } = new("--via") { Description = "For @cluster: the gateway (HOST[:PORT]) whose member list it expands to (needs the admin role there)", HelpName = "GATEWAY" };

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Nodes, Exclude, ExcludeGroup, Gather, GatherAll, Lines, Diff, Json, Quiet, MaxStatus, Width, GatherLimit, OutDir, ErrDir, Groups, Via })
        {
            command.Options.Add(o);
        }
    }

    public bool IsFanout(ParseResult parse) => parse.GetValue(Nodes) is { Length: > 0 };

    /// <summary>The output settings, checked for conflicts.</summary>
    /// <exception cref="CliException">Options that do not go together (exit 64).</exception>
    public FanoutSettings Settings(ParseResult parse, bool stdin)
    {
        bool gather = parse.GetValue(Gather), gatherAll = parse.GetValue(GatherAll), lines = parse.GetValue(Lines);
        bool diff = parse.GetValue(Diff), json = parse.GetValue(Json);
        if (json && (gather || gatherAll || lines || diff))
        {
            throw new CliException("--json goes with none of -b, -B, -L, --diff", ExitCodes.Usage);
        }

        if (diff && lines)
        {
            throw new CliException("--diff and -L do not go together", ExitCodes.Usage);
        }

        var mode = json ? OutputMode.Json
            : diff ? OutputMode.Diff
            : lines && (gather || gatherAll) ? OutputMode.GatherLines
            : lines ? OutputMode.Lines
            : gather || gatherAll ? OutputMode.Gather
            : OutputMode.Live;
        return new FanoutSettings
        {
            Mode = mode,
            GatherStderr = gatherAll,
            Quiet = parse.GetValue(Quiet),
            MaxStatus = parse.GetValue(MaxStatus),
            Width = parse.GetValue(Width),
            GatherLimit = parse.GetValue(GatherLimit),
            OutDir = Directory(parse.GetValue(OutDir), "--outdir"),
            ErrDir = Directory(parse.GetValue(ErrDir), "--errdir"),
            Stdin = stdin,
        };
    }

    private static string? Directory(string? path, string option)
    {
        if (path is null)
        {
            return null;
        }

        try
        {
            return System.IO.Directory.CreateDirectory(path).FullName;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CliException($"{option} {path}: {ex.Message}", ExitCodes.Failure, ex);
        }
    }
}
