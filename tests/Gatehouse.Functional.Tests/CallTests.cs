using System.Text;
using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;

namespace Gatehouse.Functional.Tests;

public class CallTests
{
    [Fact]
    public async Task Client_calls_a_registered_service_over_tls()
    {
        await using var gw = await TestGateway.StartAsync();
        await gw.RunServiceAsync(gw.Authorize("echo-svc", PeerRoles.Service, "test"), s => s
            .Map("test", "echo", async ctx =>
            {
                await ctx.WriteAsync($"user={ctx.User} args={string.Join('|', ctx.Args)}\n");
                await ctx.WriteErrorAsync("to stderr\n");
                using var reader = new StreamReader(ctx.Stdin);
                string stdin = await reader.ReadToEndAsync(ctx.CancellationToken);
                await ctx.WriteAsync("stdin=" + stdin);
                await ctx.WriteAsync(3, "third"u8.ToArray());
                return 7;
            }));

        var client = gw.NewClient("alice");
        var result = await client.CallAsync(new CallRequest("echo", "a b", "", "ü") { Domain = "test", Stdin = "hello"u8.ToArray() });

        Assert.Equal(CallStatus.Exit(7), result.Status);
        Assert.Equal("user=alice args=a b||ü\nstdin=hello", result.StdoutText);
        Assert.Equal("to stderr\n", result.StderrText);
        Assert.Equal("third", Encoding.UTF8.GetString(result.Outputs[3]));
        Assert.Empty(gw.Errors.Entries);
    }

    [Fact]
    public async Task Client_cannot_forge_remote_user()
    {
        await using var gw = await TestGateway.StartAsync();
        await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service, "test"), s => s
            .Map("test", "who", async ctx => { await ctx.WriteAsync($"{ctx.User}|{ctx.GetMetadata("GATEHOUSE_FINGERPRINT")}|{ctx.GetMetadata("X")}"); return 0; }));
        var bob = gw.Authorize("bob", PeerRoles.Client);
        var client = gw.Client(bob);
        var result = await client.CallAsync(new CallRequest("who") { Domain = "test", Metadata = [new("REMOTE_USER", "root"), new("X", "kept")] });
        Assert.Equal($"bob|{bob.Fingerprint}|kept", result.StdoutText);
    }

    [Fact]
    public async Task Unknown_command_and_binary_arguments()
    {
        await using var gw = await TestGateway.StartAsync();
        await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service, "test"), s => s
            .Map("test", "len", async ctx => { await ctx.WriteAsync(string.Join(",", ctx.Arguments.Select(a => Convert.ToHexString(a.Span)))); return 0; }));
        var client = gw.NewClient();
        var bin = await client.CallAsync(new CallRequest("len") { Domain = "test", Arguments = [new byte[] { 0, 255, 10 }, Array.Empty<byte>()] });
        Assert.Equal("00FF0A,", bin.StdoutText);

        var unknown = await client.CallAsync(new CallRequest("nope") { Domain = "test" });
        Assert.Equal(ErrorCode.UnknownCommand, unknown.Status.ErrorCode);
        Assert.Contains("test/nope", unknown.Status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Many_concurrent_calls_share_one_connection()
    {
        await using var gw = await TestGateway.StartAsync();
        await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service, "test"), s => s
            .Map("test", "sq", async ctx => { await Task.Yield(); int n = int.Parse(ctx.Args[0]); await ctx.WriteAsync((n * n).ToString()); return 0; }, concurrency: 16));
        var client = gw.NewClient();
        var results = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => client.CallAsync(new CallRequest("sq", i.ToString()) { Domain = "test" })));
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal((i * i).ToString(), results[i].StdoutText);
        }

        Assert.Single(gw.Server.Runtime.Sessions.Snapshot(), s => s.Grant.Name == "alice");
    }
}
