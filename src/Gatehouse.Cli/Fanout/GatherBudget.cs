using Gatehouse.Cli.CommandLine;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// The cap on output a fan-out keeps in memory for its end view (<c>--gather-limit</c>, all nodes
/// together; <see cref="FanoutSettings.GatherLimit"/>). Output that would pass it ends the gathering
/// for every node, said in one line on stderr:
/// <list type="bullet">
/// <item><c>-b -B -L --diff</c>: what each node had so far is printed at once as <c>node: line</c>
/// (or, for a stream with <c>--outdir</c>/<c>--errdir</c>, left to its file), and from then on every
/// node's output as it comes, as without <c>-b</c>; at the end only the failure lines remain.</item>
/// <item><c>--json</c>: the objects stay whole JSON, but output after the cap is not kept: a node that
/// lost some has <c>"truncated": true</c>.</item>
/// </list>
/// Every member is used under <see cref="ConsoleOutput.Sync"/> (the lock every node's output is taken under).
/// </summary>
internal sealed class GatherBudget(FanoutSettings settings, ConsoleOutput console)
{
    private readonly List<NodeOutput> _outputs = [];
    private long _kept;

    /// <summary>The cap was reached: nothing more is kept.</summary>
    public bool Exceeded { get; private set; }

    /// <summary>The gathered view was given up: nodes print as they come (not for <c>--json</c>).</summary>
    public bool Spilled { get; private set; }

    /// <summary>Registers a node's output (in node order), to be spilled with the others.</summary>
    public void Add(NodeOutput output) => _outputs.Add(output);

    /// <summary>Counts <paramref name="bytes"/> more kept in memory; false (from then on always) when they would pass the cap.</summary>
    public bool TryTakeUnsynchronized(int bytes)
    {
        if (Exceeded)
        {
            return false;
        }

        if (_kept + bytes <= settings.GatherLimit)
        {
            _kept += bytes;
            return true;
        }

        Exceeded = true;
        console.ClearProgressUnsynchronized();
        if (settings.Mode == OutputMode.Json)
        {
            console.Error.Write($"{FanoutSettings.Program}: output kept for --json reached --gather-limit ({OptionValues.Size(settings.GatherLimit)}): the rest is not kept (those nodes' objects say \"truncated\": true; --outdir/--errdir keep everything)\n");
            return false;
        }

        string rest = settings.OutDir is { } dir
            ? $"standard output goes on only to {dir}/NODE, anything else is printed as it comes, as 'node: line'"
            : "every node's output is printed as it comes, as 'node: line'";
        console.Error.Write($"{FanoutSettings.Program}: gathered output reached --gather-limit ({OptionValues.Size(settings.GatherLimit)}): not gathering any more; {rest}\n");
        Spilled = true;
        _kept = 0;
        foreach (var output in _outputs)
        {
            output.SpillUnsynchronized();
        }

        return false;
    }
}
