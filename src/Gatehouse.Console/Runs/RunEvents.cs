namespace Gatehouse.WebConsole.Runs;

/// <summary>The events of a run, sent to the page over server-sent events, one JSON object each (<c>type</c> says which).</summary>
internal abstract record RunEvent(string Type);

/// <summary>The run started on these nodes.</summary>
internal sealed record RunStarted(string Id, IReadOnlyList<string> Nodes, string Folded, string Domain, string Command, IReadOnlyList<string> Args) : RunEvent("start");

/// <summary>Output of one node as it arrived (<c>stdout</c> or <c>stderr</c>; UTF-8, a character split between chunks is kept whole).</summary>
internal sealed record RunOutput(string Node, string Stream, string Text) : RunEvent("output");

/// <summary>One node finished.</summary>
/// <param name="Kind"><c>ok</c> (exit 0), <c>failed</c> (exit non-zero), <c>error</c> (the gateway answered an error), <c>unreachable</c> (not connected, a changed fingerprint among them), <c>cancelled</c>.</param>
/// <param name="ExitCode">The command's exit status, when it exited.</param>
/// <param name="Error">Why there is none, in one line.</param>
/// <param name="DurationMs">From the start of the run.</param>
/// <param name="Truncated">Output past the console's per-node limit was dropped.</param>
internal sealed record RunNodeDone(string Node, string Kind, int? ExitCode, string? Error, double DurationMs, bool Truncated) : RunEvent("done");

/// <summary>Every node finished: the gathered view (like <c>clush -b</c>) and the status summary.</summary>
/// <param name="Cancelled">The run was cancelled.</param>
/// <param name="Gathered">Identical standard outputs of nodes with the same status, under their folded node set, in clush's order.</param>
/// <param name="Statuses">Nodes folded by how they ended, exit 0 first.</param>
internal sealed record RunEnded(bool Cancelled, IReadOnlyList<GatheredBlock> Gathered, IReadOnlyList<StatusBlock> Statuses) : RunEvent("end");

/// <summary>One block of the gathered view.</summary>
internal sealed record GatheredBlock(string Nodes, int Count, string Status, string Output);

/// <summary>One line of the summary: these nodes ended this way.</summary>
internal sealed record StatusBlock(string Nodes, int Count, string Status, bool Ok);
