using System.Runtime.CompilerServices;

namespace Gatehouse.Client.Fanout;

/// <summary>
/// One command sent to many nodes, already under way. Each node has its own task (which never
/// faults: failures are <see cref="NodeResult"/> values); enumerate the call to get results in the
/// order the nodes finish.
/// </summary>
public sealed class FanoutCall : IAsyncEnumerable<NodeResult>
{
    internal FanoutCall(IReadOnlyList<FanoutNode> nodes, IReadOnlyList<Task<NodeResult>> tasks)
    {
        Nodes = nodes;
        Tasks = tasks;
    }

    /// <summary>The nodes asked, in the order given.</summary>
    public IReadOnlyList<FanoutNode> Nodes { get; }

    /// <summary>One task per node, in the order of <see cref="Nodes"/>.</summary>
    public IReadOnlyList<Task<NodeResult>> Tasks { get; }

    /// <summary>The task of the first node equal to <paramref name="node"/>.</summary>
    /// <exception cref="KeyNotFoundException">The node is not part of this call.</exception>
    public Task<NodeResult> ForNode(FanoutNode node)
    {
        for (int i = 0; i < Nodes.Count; i++)
        {
            if (Nodes[i] == node)
            {
                return Tasks[i];
            }
        }

        throw new KeyNotFoundException($"{node} is not part of this call");
    }

    /// <summary>Waits for every node; results in the order of <see cref="Nodes"/>.</summary>
    public Task<NodeResult[]> WhenAll() => Task.WhenAll(Tasks);

    /// <summary>
    /// Yields each node's result as soon as it completes (fastest first). Cancelling
    /// <paramref name="cancellationToken"/> stops the enumeration (throwing
    /// <see cref="OperationCanceledException"/>), not the calls; cancel those with the token given
    /// to <see cref="FanoutClient.Call"/>.
    /// </summary>
    public async IAsyncEnumerable<NodeResult> InCompletionOrder([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var task in Task.WhenEach(Tasks).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return await task.ConfigureAwait(false);
        }
    }

    /// <inheritdoc cref="InCompletionOrder" />
    public IAsyncEnumerator<NodeResult> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        InCompletionOrder(cancellationToken).GetAsyncEnumerator(cancellationToken);
}
