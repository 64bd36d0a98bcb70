using Gatehouse.Client;
using Gatehouse.Client.Fanout;
using Gatehouse.Functional.Tests;
using Gatehouse.Protocol;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;
using Xunit.Abstractions;

namespace Gatehouse.Fanout.Tests;

/// <summary>Per-node failures are results, and they never cost the other nodes their answers.</summary>
public class FailureTests(ITestOutputHelper output)
{
    private static readonly CallRequest Work = new(TestNodes.Command) { Domain = TestNodes.Domain };

    private static CommandHandler Hello(int index) => async ctx =>
    {
        await ctx.WriteAsync($"hello from node{index + 1}");
        return 0;
    };

    private void Print(IEnumerable<NodeResult> results)
    {
        foreach (var r in results)
        {
            output.WriteLine(r.ToString());
        }
    }

    [Fact]
    public async Task Silent_and_dropping_nodes_time_out_while_the_others_answer()
    {
        using var dropping = new DroppingNamespace();
        using var silent = new SilentListener();
        await using var servers = await TestNodes.StartAsync(3, Hello);
        var oneSecond = new ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(1), MaxRetries = 0 };
        await using var client = new FanoutClient(servers.Options(oneSecond));
        var silentNode = new FanoutNode("silent", silent.Endpoint, servers.Gateways[0].Server.Fingerprint);
        var droppedNode = new FanoutNode("dropped", dropping.Endpoint(), servers.Gateways[0].Server.Fingerprint);
        var refusedNode = new FanoutNode("refused", ClosedPort.Get(), servers.Gateways[0].Server.Fingerprint);
        FanoutNode[] nodes = [silentNode, servers.Nodes[0], droppedNode, servers.Nodes[1], refusedNode, servers.Nodes[2]];

        var call = client.Call(nodes, Work);
        var streamed = new List<NodeResult>();
        await foreach (var result in call.InCompletionOrder().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            streamed.Add(result);
        }

        Print(streamed);
        Assert.Equal(nodes.Length, streamed.Count);
        for (int i = 0; i < 3; i++)
        {
            var answer = await call.ForNode(servers.Nodes[i]);
            Assert.True(answer.Succeeded, answer.ToString());
            Assert.Equal($"hello from node{i + 1}", answer.Result!.StdoutText);
        }

        var silentResult = await call.ForNode(silentNode);
        Assert.Equal(NodeFailure.Timeout, silentResult.Failure);
        Assert.Null(silentResult.Result);
        Assert.True(silent.Accepted >= 1, "the silent listener should have accepted the TCP connection");
        var droppedResult = await call.ForNode(droppedNode);
        Assert.Equal(NodeFailure.Timeout, droppedResult.Failure);
        Assert.Contains("timed out", droppedResult.Message, StringComparison.Ordinal);
        Assert.Equal(NodeFailure.Refused, (await call.ForNode(refusedNode)).Failure);

        // The answering nodes and the refused one are reported before the two that wait out the timeout.
        Assert.Equal(["dropped", "silent"], streamed.TakeLast(2).Select(r => r.Node.Name).Order());
        Assert.Empty(servers.Errors);
    }

    [Fact]
    public async Task A_node_presenting_another_fingerprint_is_never_sent_the_command()
    {
        await using var servers = await TestNodes.StartAsync(3, Hello);
        await using var client = new FanoutClient(servers.Options());
        using var stranger = PeerIdentity.CreateEphemeral("stranger");
        var impostor = servers.Nodes[1] with { Pin = stranger.Fingerprint };
        var unpinned = servers.Nodes[2] with { Name = "unpinned", Pin = null };
        FanoutNode[] nodes = [servers.Nodes[0], impostor, unpinned];

        var results = await client.Call(nodes, Work).WhenAll();
        Print(results);

        Assert.True(results[0].Succeeded, results[0].ToString());
        Assert.Equal(NodeFailure.FingerprintMismatch, results[1].Failure);
        Assert.Contains(servers.Gateways[1].Server.Fingerprint.ToString(), results[1].Message, StringComparison.Ordinal);
        Assert.Equal(1, results[1].Attempts);
        Assert.Equal(NodeFailure.NotTrusted, results[2].Failure);
        Assert.Equal(1, results[2].Attempts);
        Assert.Equal(1, servers.Requests(0));
        Assert.Equal(0, servers.Requests(1));
        Assert.Equal(0, servers.Requests(2));
        // .NET checks the server's certificate after the TLS handshake, so the impostor completes a
        // handshake and may list a session briefly: it can appear even after the client's call has
        // already returned (the gateway handles the finished handshake later), then goes when it
        // sees the hang-up. It must not stay: wait until it has been absent for a full second.
        var sessions = servers.Gateways[1].Server.Runtime.Sessions;
        var absentSince = System.Diagnostics.Stopwatch.StartNew();
        var overall = System.Diagnostics.Stopwatch.StartNew();
        while (absentSince.Elapsed < TimeSpan.FromSeconds(1) && overall.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (sessions.Snapshot().Any(s => s.Grant.Name == "admin"))
            {
                absentSince.Restart();
            }

            await Task.Delay(20);
        }

        Assert.DoesNotContain(sessions.Snapshot(), s => s.Grant.Name == "admin");

        // A pin from the options' Pins function is used for nodes without their own.
        await using var pinned = new FanoutClient(servers.Options() with { Pins = e => e == unpinned.Endpoint ? servers.Gateways[2].Server.Fingerprint : null });
        var viaPins = await pinned.CallAsync(unpinned, Work);
        Assert.True(viaPins.Succeeded, viaPins.ToString());
        Assert.Equal(1, servers.Requests(2));
    }

    [Fact]
    public async Task Remote_errors_and_deadlines_are_results()
    {
        await using var servers = await TestNodes.StartAsync(3, i => i switch
        {
            0 => Hello(0),
            1 => async ctx => { await ctx.WriteAsync("started\n"); await Task.Delay(TimeSpan.FromSeconds(30), ctx.CancellationToken); return 0; },
            _ => _ => throw new CommandException(ErrorCode.Access, "not you"),
        });
        await using var client = new FanoutClient(servers.Options(new ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0, CallDeadline = TimeSpan.FromMilliseconds(500) }));

        var results = await client.Call(servers.Nodes, Work).WhenAll();
        Print(results);

        Assert.True(results[0].Succeeded);
        Assert.Equal(0, results[0].ExitCode);
        Assert.Equal(NodeFailure.Deadline, results[1].Failure);
        Assert.Equal(ErrorCode.DeadlineExceeded, results[1].RemoteErrorCode);
        Assert.Equal(NodeFailure.RemoteError, results[2].Failure);
        Assert.Equal(ErrorCode.Access, results[2].RemoteErrorCode);
        Assert.Contains("not you", results[2].Message, StringComparison.Ordinal);
        Assert.Null(results[2].ExitCode);

        var unknown = await client.CallAsync(servers.Nodes[0], new CallRequest("nope") { Domain = TestNodes.Domain });
        Assert.Equal(NodeFailure.RemoteError, unknown.Failure);
        Assert.Equal(ErrorCode.UnknownCommand, unknown.RemoteErrorCode);
    }

    [Fact]
    public async Task Calls_that_reached_a_backend_are_retried_only_when_idempotent()
    {
        int drainingLeft = 2;
        await using var servers = await TestNodes.StartAsync(2, i => i == 0
            ? _ => throw new CommandException(ErrorCode.BackendFailed, "backend crashed")
            : async ctx =>
            {
                if (Interlocked.Decrement(ref drainingLeft) >= 0)
                {
                    throw new CommandException(ErrorCode.ShuttingDown, "draining");
                }

                await ctx.WriteAsync("done");
                return 0;
            });
        var retries = new ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 3, InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(40) };
        await using var client = new FanoutClient(servers.Options(retries));
        var crashing = servers.Nodes[0];

        var once = await client.CallAsync(crashing, Work);
        Assert.Equal(NodeFailure.RemoteError, once.Failure);
        Assert.Equal(1, once.Attempts);
        Assert.Equal(1, servers.Requests(0));

        var idempotent = await client.CallAsync(crashing, Work with { Idempotent = true });
        Assert.Equal(NodeFailure.RemoteError, idempotent.Failure);
        Assert.Equal(4, idempotent.Attempts);
        Assert.Equal(1 + 4, servers.Requests(0));

        // SHUTTING_DOWN before any output means "not processed": retried even when not idempotent.
        var drained = await client.CallAsync(servers.Nodes[1], Work);
        Assert.True(drained.Succeeded, drained.ToString());
        Assert.Equal(3, drained.Attempts);
        Assert.Equal("done", drained.Result!.StdoutText);
    }

    [Fact]
    public async Task Refused_connects_are_retried_with_backoff_on_the_injected_clock()
    {
        var clock = new DrivenClock();
        using var admin = PeerIdentity.CreateEphemeral("admin");
        var options = new FanoutClientOptions
        {
            Identity = admin,
            Connection = new ConnectionOptions { MaxRetries = 4, InitialBackoff = TimeSpan.FromSeconds(10), MaxBackoff = TimeSpan.FromMinutes(3) },
            TimeProvider = clock,
        };
        await using var client = new FanoutClient(options, random: new Random(11));
        var node = new FanoutNode("down", ClosedPort.Get(), admin.Fingerprint);

        var result = await clock.DriveAsync(client.CallAsync(node, Work));
        output.WriteLine(result.ToString());

        Assert.Equal(NodeFailure.Refused, result.Failure);
        Assert.Equal(5, result.Attempts);
        // Elapsed is on the fake clock: the four backoffs of 10, 20, 40, 80 s with half jitter.
        Assert.InRange(result.Elapsed, TimeSpan.FromSeconds(75), TimeSpan.FromSeconds(150));
    }

    [Fact]
    public async Task Cancelling_keeps_the_answers_already_in()
    {
        await using var servers = await TestNodes.StartAsync(2, i => i == 0
            ? Hello(0)
            : async ctx => { await Task.Delay(TimeSpan.FromSeconds(30), ctx.CancellationToken); return 0; });
        await using var client = new FanoutClient(servers.Options());
        using var cts = new CancellationTokenSource();

        var call = client.Call(servers.Nodes, Work, cts.Token);
        var first = await call.Tasks[0];
        await cts.CancelAsync();
        var second = await call.Tasks[1].WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(first.Succeeded, first.ToString());
        Assert.Equal(NodeFailure.Cancelled, second.Failure);
        Assert.Contains("cancelled by the caller", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposed_client_refuses_new_calls()
    {
        using var admin = PeerIdentity.CreateEphemeral("admin");
        var client = new FanoutClient(new FanoutClientOptions { Identity = admin });
        await client.DisposeAsync();
        var node = new FanoutNode("n", new Endpoint("127.0.0.1", 1), admin.Fingerprint);
        Assert.Throws<ObjectDisposedException>(() => client.Call([node], Work));
    }
}
