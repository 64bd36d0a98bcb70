using System.Diagnostics;
using Gatehouse.NodeSets;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// The fan-out shared by <c>gatehouse call -w</c> and <c>gatehouse remctl -w</c>: runs a node runner
/// on every node, at most <see cref="FanoutSettings.Width"/> at once, shows output as the settings ask
/// (<see cref="FanoutReport"/> at the end), sends stdin to every node, reports failures folded, and
/// returns the exit status. Ctrl-C cancels every call, waits at most <see cref="InterruptGrace"/> for
/// their answers, then prints what arrived (partial lines included) and the summary, and exits 130.
/// </summary>
internal static class FanoutRunner
{
    /// <summary>How long interrupted calls get to answer before the summary is printed without them.</summary>
    public static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(1.5);

    /// <param name="nodes">The nodes to call.</param>
    /// <param name="early">Outcomes known without calling (members the gateway knows dead, members without a remctl port).</param>
    public static async Task<int> RunAsync(NodeSet nodes, IReadOnlyList<NodeOutcome> early, INodeRunner runner, FanoutSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var console = new ConsoleOutput(nodes, progress: !settings.Quiet);

        // Every node at once: the input is broadcast, paced by the slowest node. A batch at a time:
        // it is spooled, so nodes started later get it too (a spool that cannot be made fails here,
        // before any file of --outdir is made or any node called).
        IStdinSource? stdin = !settings.Stdin ? null
            : nodes.Count <= settings.Width ? new StdinBroadcast(Console.OpenStandardInput(), nodes.Count)
            : StdinSpool.Create(Console.OpenStandardInput());
        await using var spool = stdin as StdinSpool;
        var budget = new GatherBudget(settings, console);
        var outputs = new Dictionary<string, NodeOutput>(StringComparer.Ordinal);
        foreach (string node in nodes)
        {
            outputs[node] = new NodeOutput(node, settings, console, budget);
        }

        using var slots = new SemaphoreSlim(settings.Width);
        var outcomes = new Dictionary<string, NodeOutcome>(StringComparer.Ordinal);
        foreach (var e in early)
        {
            outcomes[e.Node] = e;
        }

        async Task<NodeOutcome> RunNodeAsync(string node)
        {
            var waited = Stopwatch.StartNew();
            try
            {
                await slots.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                stdin?.Leave();
                return NodeOutcome.Interrupted(node, waited.Elapsed);
            }

            try
            {
                return await runner.RunAsync(node, outputs[node], stdin, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug in one node's call must not hide the other nodes' answers.
                return new NodeOutcome(node, OutcomeKind.RemoteError, ExitCodes.Internal, $"internal error ({ex.GetType().Name}): {ex.Message}", waited.Elapsed);
            }
            finally
            {
                slots.Release();
                outputs[node].Close();
                console.Done(node);
            }
        }

        var tasks = nodes.Select(n => (Node: n, Task: RunNodeAsync(n))).ToList();
        var stdinTask = stdin?.RunAsync(cancellationToken) ?? Task.CompletedTask;
        var all = Task.WhenAll(tasks.Select(t => t.Task));
        try
        {
            await all.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C: the calls were cancelled with the same token; give them a moment to say so.
            await Task.WhenAny(all, Task.Delay(InterruptGrace, CancellationToken.None));
        }

        foreach (var (node, task) in tasks)
        {
            outcomes[node] = task.IsCompletedSuccessfully ? task.Result : NodeOutcome.Interrupted(node, clock.Elapsed);
            outputs[node].Close(); // a node still running prints nothing more
        }

        try
        {
            await stdinTask.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or IOException)
        {
            // Interrupted, or every node has ended while stdin was still being read: nothing more to send.
        }

        lock (console.Sync)
        {
            console.ClearProgressUnsynchronized();
            if (spool?.Failure is { } failure)
            {
                console.Error.Write($"{FanoutSettings.Program}: --stdin: {failure}; the calls still taking input were cancelled\n");
            }

            // Past --gather-limit the outputs were printed as they came: only the failure lines remain.
            FanoutReport.Write(console.Out, console.Error, outcomes.Values, outputs, budget.Spilled ? settings with { Mode = OutputMode.Live } : settings);
            if (!settings.Quiet && !Console.IsErrorRedirected)
            {
                int failed = outcomes.Values.Count(o => o.Status != 0 && o.Kind != OutcomeKind.Skipped);
                console.Error.WriteLine($"{outcomes.Count} nodes in {clock.Elapsed.TotalSeconds:0.00} s, {failed} failed");
            }

            console.Out.Flush();
            console.Error.Flush();
        }

        return FanoutReport.ExitStatus(outcomes.Values, settings.MaxStatus);
    }
}
