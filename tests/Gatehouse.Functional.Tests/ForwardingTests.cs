using System.Diagnostics;
using System.Security.Cryptography;
using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Membership;
using Gatehouse.Protocol;
using Gatehouse.Transport.Security;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// Three real gateways (TLS and UDP on loopback) in one cluster, a service attached only to the
/// first: a client of the third reaches it through forwarding with its input, output, exit code,
/// identity, cancellation and deadline intact; forged identity is stripped; forwarded requests
/// are not forwarded again.
/// </summary>
public sealed class ForwardingTests
{
    private static async Task<TestGateway[]> StartClusterAsync(int n)
    {
        var gateways = new TestGateway[n];
        gateways[0] = await TestGateway.StartAsync();
        string seed = $"127.0.0.1:{gateways[0].Endpoint.Port}={gateways[0].Server.Fingerprint}";
        for (int i = 1; i < n; i++)
        {
            gateways[i] = await TestGateway.StartAsync(o => o with { Cluster = o.Cluster with { Join = [JoinTarget.Parse(seed)] } });
            AuthorizedPeers.Upsert(gateways[0].Server.Runtime.Options.AuthorizedPath, new PeerGrant(gateways[i].Server.Fingerprint, $"gw{i}", PeerRoles.Gateway, []));
        }

        await Until(() => gateways.All(g => g.Server.Membership!.Members.Count(m => m.State == Gatehouse.Cluster.Membership.MemberState.Alive) == n), "the members never all saw each other alive");
        return gateways;
    }

    private static async Task Until(Func<bool> condition, string failure, double seconds = 30)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), failure);
            await Task.Delay(20);
        }
    }

    private static async Task DisposeAllAsync(TestGateway[] gateways)
    {
        foreach (var g in gateways.Reverse())
        {
            await g.DisposeAsync();
        }
    }

    private sealed class Seen
    {
        public int Cancels;
    }

    private static async Task<Seen> AttachServiceAsync(TestGateway a)
    {
        var seen = new Seen();
        await a.RunServiceAsync(a.Authorize("svc", PeerRoles.Service, "test"), s => s
            .Map("test", "report", async ctx =>
            {
                await ctx.WriteAsync("out\n");
                await ctx.WriteErrorAsync("err\n");
                return 3;
            })
            .Map("test", "who", async ctx =>
            {
                await ctx.WriteAsync($"{ctx.User}|{ctx.GetMetadata("GATEHOUSE_VIA")}|{ctx.GetMetadata("GATEHOUSE_FINGERPRINT")}|{ctx.GetMetadata("X")}");
                return 0;
            })
            .Map("test", "echo", async ctx =>
            {
                var buffer = new byte[64 * 1024];
                int n;
                while ((n = await ctx.Stdin.ReadAsync(buffer, ctx.CancellationToken)) > 0)
                {
                    await ctx.WriteAsync(1, buffer.AsMemory(0, n));
                }

                return 0;
            }, concurrency: 4)
            .Map("test", "wait", async ctx =>
            {
                await ctx.WriteAsync("started\n");
                try
                {
                    await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref seen.Cancels);
                    throw;
                }

                return 0;
            }));
        return seen;
    }

    [Fact]
    public async Task A_client_of_one_member_reaches_a_service_attached_to_another_with_output_exit_code_identity_and_input()
    {
        var gateways = await StartClusterAsync(3);
        try
        {
            var (a, c) = (gateways[0], gateways[2]);
            await AttachServiceAsync(a);
            string aId = a.Server.Fingerprint.ToString();
            await Until(() => c.Server.Membership!.RemoteRoutes.MembersServing("test", "echo").Contains(aId), "c never learned a's routes");
            Assert.Empty(c.Server.Runtime.Routes.Snapshot()); // nothing local: it must forward

            var alice = c.Authorize("alice", PeerRoles.Client, "test");
            var client = c.Client(alice);
            var report = await client.CallAsync(new CallRequest("report") { Domain = "test" });
            Assert.Equal(3, report.ExitCode);
            Assert.Equal("out\n", report.StdoutText);
            Assert.Equal("err\n", report.StderrText);

            // The caller's identity travels; what the client claims under reserved names does not.
            var who = await client.CallAsync(new CallRequest("who") { Domain = "test", Metadata = [new("REMOTE_USER", "root"), new("GATEHOUSE_VIA", "forged"), new("X", "kept")] });
            Assert.Equal($"alice|{c.Server.Fingerprint}|{alice.Fingerprint}|kept", who.StdoutText);

            // 256 MiB of input echoed through c to a's service and back.
            const int Total = 256 * 1024 * 1024;
            var input = new byte[Total];
            Random.Shared.NextBytes(input.AsSpan(0, 1024 * 1024));
            for (int i = 1; i < 256; i++)
            {
                input.AsSpan(0, 1024 * 1024).CopyTo(input.AsSpan(i * 1024 * 1024));
                input[i * 1024 * 1024] = (byte)i;
            }

            await using var call = await client.StartCallAsync(new CallRequest("echo") { Domain = "test", Stdin = input });
            var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long got = 0;
            await foreach (var chunk in call.ReadOutputAsync())
            {
                Assert.Equal(1, chunk.Stream);
                received.AppendData(chunk.Data.Span);
                got += chunk.Data.Length;
            }

            Assert.Equal(CallStatus.Exit(0), await call.Completion);
            Assert.Equal(Total, got);
            Assert.Equal(SHA256.HashData(input), received.GetHashAndReset());
        }
        finally
        {
            await DisposeAllAsync(gateways);
        }
    }

    [Fact]
    public async Task Cancellation_and_the_deadline_of_a_forwarded_call_reach_the_handler_on_the_other_member_with_one_status()
    {
        var gateways = await StartClusterAsync(3);
        try
        {
            var (a, c) = (gateways[0], gateways[2]);
            var seen = await AttachServiceAsync(a);
            await Until(() => c.Server.Membership!.RemoteRoutes.MembersServing("test", "wait").Length == 1, "c never learned a's routes");
            var client = c.Client(c.Authorize("alice", PeerRoles.Client, "test"));

            await using (var call = await client.StartCallAsync(new CallRequest("wait") { Domain = "test" }))
            {
                await foreach (var chunk in call.ReadOutputAsync())
                {
                    call.Cancel();
                }

                Assert.Equal(ErrorCode.Cancelled, (await call.Completion).ErrorCode);
                await Until(() => Volatile.Read(ref seen.Cancels) == 1, "the cancel never reached the handler on a", 10);
            }

            var clock = Stopwatch.StartNew();
            var result = await client.CallAsync(new CallRequest("wait") { Domain = "test", Deadline = TimeSpan.FromMilliseconds(600) });
            Assert.Equal(ErrorCode.DeadlineExceeded, result.Status.ErrorCode);
            Assert.Equal("started\n", result.StdoutText);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            await Until(() => Volatile.Read(ref seen.Cancels) == 2, "the deadline never reached the handler on a", 10);
            Assert.Equal(0, await Settled(a, c));
        }
        finally
        {
            await DisposeAllAsync(gateways);
        }
    }

    /// <summary>Waits until neither gateway counts a request in flight; returns what is left (0).</summary>
    private static async Task<long> Settled(TestGateway a, TestGateway c)
    {
        await Until(() => a.Server.Runtime.InFlight == 0 && c.Server.Runtime.InFlight == 0, "requests stayed in flight", 10);
        return a.Server.Runtime.InFlight + c.Server.Runtime.InFlight;
    }

    [Fact]
    public async Task A_forwarded_request_is_not_forwarded_again_and_says_so()
    {
        var gateways = await StartClusterAsync(2);
        try
        {
            var (a, b) = (gateways[0], gateways[1]);
            await AttachServiceAsync(a);
            await Until(() => b.Server.Membership!.RemoteRoutes.MembersServing("test", "who").Length == 1, "b never learned a's routes");

            // A peer in the gateway role that says it forwards (GATEHOUSE_VIA) asks b for a command
            // only a has: b must not pass it on (that is how loops start).
            var client = b.Client(b.Authorize("gw-x", PeerRoles.Gateway));
            var result = await client.CallAsync(new CallRequest("who") { Domain = "test", Metadata = [new("GATEHOUSE_VIA", "somewhere"), new("REMOTE_USER", "carol")] });
            Assert.Equal(ErrorCode.UnknownCommand, result.Status.ErrorCode);
            Assert.Contains("not forwarded again", result.Status.Message, StringComparison.Ordinal);

            // The same peer without the claim is not a forwarded request: it needs the client role like anyone.
            var plain = await client.CallAsync(new CallRequest("who") { Domain = "test" });
            Assert.Equal(ErrorCode.Access, plain.Status.ErrorCode);
        }
        finally
        {
            await DisposeAllAsync(gateways);
        }
    }
}
