using System.Diagnostics;
using Gatehouse.Client;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// One node of <c>gatehouse call</c> (with or without <c>-w</c>): connects with the retry policy
/// (counting attempts for the message), streams output, feeds stdin, maps the final status.
/// </summary>
internal sealed class GatehouseNodeRunner : INodeRunner
{
    private readonly ClientOptions _options;
    private readonly RetryPolicy _retries;
    private readonly CallRequest _request;

    /// <param name="options">The client options; its <see cref="ConnectionOptions.MaxRetries"/> is how often a connect is tried again.</param>
    public GatehouseNodeRunner(ClientOptions options, CallRequest request)
    {
        _retries = new RetryPolicy(options.Connection, options.TimeProvider);
        // Each client makes one attempt per call; this runner's policy retries, so it knows how many were made.
        _options = options with { Connection = options.Connection with { MaxRetries = 0 }, FollowRedirects = options.FollowRedirects && !request.StreamsStdin };
        _request = request;
    }

    public bool TakesStdin => true;

    public async Task<NodeOutcome> RunAsync(string node, INodeOutput output, IStdinSource? stdin, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Endpoint endpoint = Endpoint.Parse(node); // checked before the fan-out started
        await using var client = new GatehouseClient(endpoint, _options);
        ActiveCall call;
        int attempts = 0;
        try
        {
            call = await _retries.RunAsync((_, ct) => { attempts++; return client.StartCallAsync(_request, ct); }, cancellationToken: cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stdin?.Leave();
            return NodeOutcome.Interrupted(node, clock.Elapsed);
        }
        catch (ConnectException ex)
        {
            stdin?.Leave();
            return NodeOutcome.NotConnected(node, FailureText.Of(ex, endpoint, attempts), clock.Elapsed) with { Cause = ex };
        }
        catch (ConnectionClosedException ex)
        {
            stdin?.Leave();
            return NodeOutcome.NotConnected(node, $"connection closed: {ex.Message}{(attempts > 1 ? $" ({attempts} attempts)" : "")}", clock.Elapsed);
        }

        await using (call)
        {
            stdin?.Join(new CallStdin(call));
            try
            {
                await foreach (var chunk in call.ReadOutputAsync(cancellationToken))
                {
                    output.Write(chunk.Stream, chunk.Data.Span);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return NodeOutcome.Interrupted(node, clock.Elapsed);
            }

            var status = await call.Completion;
            if (cancellationToken.IsCancellationRequested && status.IsError)
            {
                return NodeOutcome.Interrupted(node, clock.Elapsed);
            }

            return status.Kind == StatusKind.Exit
                ? NodeOutcome.Exited(node, ExitCodes.For(status), clock.Elapsed)
                : new NodeOutcome(node, OutcomeKind.RemoteError, ExitCodes.For(status), FailureText.Of(status), clock.Elapsed);
        }
    }

    private sealed class CallStdin(ActiveCall call) : IStdinTarget
    {
        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => call.WriteStdinAsync(data, cancellationToken);

        public ValueTask CompleteAsync(CancellationToken cancellationToken) => call.CompleteStdinAsync(cancellationToken);

        public void Abort() => call.Cancel();
    }
}
