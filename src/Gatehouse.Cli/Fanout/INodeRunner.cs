namespace Gatehouse.Cli.Fanout;

/// <summary>
/// Runs the fan-out's command on one node: <c>call -w</c> through Gatehouse
/// (<see cref="GatehouseNodeRunner"/>), <c>remctl -w</c> over remctl (<see cref="RemctlNodeRunner"/>).
/// Everything else (width, output, stdin, Ctrl-C, summary, exit status) is <see cref="FanoutRunner"/>'s.
/// </summary>
internal interface INodeRunner
{
    /// <summary>Whether the node's call can take this command's stdin (<c>--stdin</c>).</summary>
    bool TakesStdin { get; }

    /// <summary>
    /// Runs the command on <paramref name="node"/>, giving its output to <paramref name="output"/> as it
    /// arrives; when <paramref name="stdin"/> is given, joins it once the call started (or leaves it).
    /// Never throws for a node's failure: that is the outcome. When <paramref name="cancellationToken"/>
    /// fires, cancels the call and returns <see cref="OutcomeKind.Interrupted"/>.
    /// </summary>
    Task<NodeOutcome> RunAsync(string node, INodeOutput output, IStdinSource? stdin, CancellationToken cancellationToken);
}
