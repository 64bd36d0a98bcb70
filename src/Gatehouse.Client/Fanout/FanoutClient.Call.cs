using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Client.Fanout;

public sealed partial class FanoutClient
{
    /// <summary>
    /// Sends <paramref name="request"/> to every node at once (at most
    /// <see cref="FanoutClientOptions.MaxFanout"/> in progress) and returns immediately. Await
    /// <see cref="FanoutCall.Tasks"/> per node, <see cref="FanoutCall.WhenAll"/>, or enumerate the
    /// returned call to get results as they complete.
    /// </summary>
    /// <param name="cancellationToken">Cancels every node's call; unfinished nodes end as <see cref="NodeFailure.Cancelled"/>.</param>
    /// <exception cref="ObjectDisposedException">The fan-out client was disposed.</exception>
    public FanoutCall Call(IEnumerable<FanoutNode> nodes, CallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(request);
        FanoutNode[] list = [.. nodes];
        foreach (var node in list)
        {
            GetClient(node);
        }

        var tasks = new Task<NodeResult>[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            tasks[i] = CallAsync(list[i], request, cancellationToken);
        }

        return new FanoutCall(list, tasks);
    }

    /// <summary>
    /// Sends <paramref name="request"/> to every node at once and yields each result as it completes
    /// (shorthand for enumerating <see cref="Call"/>).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The fan-out client was disposed.</exception>
    public IAsyncEnumerable<NodeResult> CallAllAsync(IEnumerable<FanoutNode> nodes, CallRequest request, CancellationToken cancellationToken = default) =>
        Call(nodes, request, cancellationToken).InCompletionOrder(cancellationToken);

    /// <summary>
    /// Calls one node: a future in seed 000's sense. Start several, then await them. Failures are
    /// retried per <see cref="RetryPolicy"/> with backoff (a fan-out slot is held only while an attempt
    /// runs, not during the wait); the deadline is <see cref="CallRequest.Deadline"/>, else
    /// <see cref="ConnectionOptions.CallDeadline"/> of <see cref="FanoutClientOptions.Connection"/>.
    /// </summary>
    /// <returns>The node's result; failures are results too, this task never faults for them.</returns>
    /// <exception cref="ObjectDisposedException">The fan-out client was disposed (thrown synchronously).</exception>
    public Task<NodeResult> CallAsync(FanoutNode node, CallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var client = GetClient(node);
        return RunNodeAsync(node, client, request, cancellationToken);
    }

    private async Task<NodeResult> RunNodeAsync(FanoutNode node, GatehouseClient client, CallRequest request, CancellationToken cancellationToken)
    {
        var time = Options.TimeProvider;
        long started = time.GetTimestamp();
        int attempts = 0;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        var token = linked.Token;
        NodeResult result;
        try
        {
            var callResult = await RetryPolicy.RunAsync(
                async (attempt, ct) =>
                {
                    await _fanout.WaitAsync(ct).ConfigureAwait(false);
                    try
                    {
                        attempts = attempt + 1;
                        return await client.CallOnceAsync(request, ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        _fanout.Release();
                    }
                },
                r => RetryPolicy.ShouldRetry(r, request),
                retry => LogRetry(node, retry),
                token).ConfigureAwait(false);
            var failure = NodeFailures.From(callResult.Status);
            result = new NodeResult(node, callResult, failure, failure == NodeFailure.None ? null : callResult.Status.ToString(), time.GetElapsedTime(started), attempts);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            string why = cancellationToken.IsCancellationRequested ? "cancelled by the caller" : "the fan-out client was disposed";
            result = Failed(node, NodeFailure.Cancelled, why, started, attempts);
        }
        catch (ObjectDisposedException) when (_disposing.IsCancellationRequested)
        {
            result = Failed(node, NodeFailure.Cancelled, "the fan-out client was disposed", started, attempts);
        }
        catch (ConnectException ex)
        {
            result = Failed(node, NodeFailures.From(ex.Failure), ex.Message, started, attempts);
        }
        catch (ConnectionClosedException ex)
        {
            result = Failed(node, NodeFailure.ConnectionLost, ex.Message, started, attempts);
        }
        catch (Exception ex)
        {
            // Any other exception is still this node's result: it must not hide the other nodes' answers.
            if (_logger is not null)
            {
                FanoutLog.Unexpected(_logger, node.Name, ex);
            }

            result = Failed(node, NodeFailure.Internal, $"{ex.GetType().Name}: {ex.Message}", started, attempts);
        }

        if (result.Failure != NodeFailure.None && _logger is not null)
        {
            FanoutLog.NodeFailed(_logger, node.Name, result.Failure, result.Message);
        }

        return result;
    }

    private NodeResult Failed(FanoutNode node, NodeFailure failure, string message, long started, int attempts) =>
        new(node, null, failure, message, Options.TimeProvider.GetElapsedTime(started), attempts);

    private void LogRetry(FanoutNode node, RetryEvent retry)
    {
        if (_logger is not null)
        {
            string cause = retry.Cause?.Message ?? "the node did not process the request";
            FanoutLog.Retrying(_logger, node.Name, retry.Attempt, retry.Delay.TotalMilliseconds, cause);
        }
    }
}
