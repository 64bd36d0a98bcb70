using System.Text;
using Gatehouse.Functional.Tests;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Interop.Tests;

/// <summary>
/// Differential: the same raw protocol version 1 client (remctl_v1_client.py) against stock remctld 3.18 (the
/// reference) and against the gateway's remctl port serving the same remctl.conf, case by case; every byte the
/// servers send back must agree (context token flags, the MIC, the reply's flags, status and output, the close).
/// </summary>
[Collection(KerberosCollection.Name)]
public sealed class RemctlV1DifferentialTests(KerberosRealm realm, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private TestGateway _gw = null!;

    public async Task InitializeAsync()
    {
        await RemctlV1Client.RequireAsync(realm);
        _gw = await TestGateway.StartAsync(o => o with
        {
            // The very remctl.conf stock remctld serves in the realm fixture.
            CommandsFile = Path.Combine(realm.Dir, "remctl.conf"),
            RemctlListen = "127.0.0.1:0",
            RemctlKeytab = realm.HostKeytab,
        });
    }

    public async Task DisposeAsync() => await _gw.DisposeAsync();

    private static string Hex(string text) => Convert.ToHexString(Encoding.UTF8.GetBytes(text));

    private static string Length(int n) => n.ToString("x8");

    /// <summary>Well-formed commands: (name, arguments).</summary>
    public static TheoryData<string, string[]> Commands => new()
    {
        { "stdout", ["test", "echo", "hello", "world"] },
        { "arguments", ["test", "args", "a", "", "b c"] },
        { "exit status", ["test", "status", "7"] },
        { "exit status 0", ["test", "status", "0"] },
        { "stderr only", ["test", "errors"] },
        { "stderr then stdout", ["test", "stderr", "a", "b"] },
        { "output one short of the limit", ["test", "big", "65527"] },
        { "output at the limit", ["test", "big", "65528"] },
        { "output one over the limit", ["test", "big", "65529"] },
        { "output far over the limit", ["test", "big", "1000000"] },
        { "access denied", ["test", "denied"] },
        { "unknown subcommand", ["test", "nosuch"] },
        { "unknown command", ["nosuch"] },
        { "empty command", [""] },
        { "help without summaries", ["help"] },
    };

    /// <summary>Malformed command payloads: (name, hex).</summary>
    public static TheoryData<string, string> Payloads => new()
    {
        { "no arguments", "00000000" },
        { "argc over the limit", "00001001" + "00000001" + "61" },
        { "fewer length fields than argc", "00000002" + "00000004" + Hex("test") },
        { "length past the end", "00000001" + "00000009" + Hex("test") },
        { "a trailing byte", "00000001" + "00000004" + Hex("test") + "00" },
        { "more arguments than argc", "00000001" + "00000004" + Hex("test") + "00000000" },
        { "nul in the command", "00000002" + "00000005" + Hex("te\0st") + "00000004" + Hex("echo") },
        { "nul in an argument", "00000003" + "00000004" + Hex("test") + "00000004" + Hex("echo") + Length(3) + Hex("a\0b") },
    };

    private async Task Compare(Func<int, Task<RemctlV1Reply>> run)
    {
        var reference = await run(realm.RemctldPort);
        var ours = await run(_gw.Server.RemctlEndpoint!.Port);
        output.WriteLine($"remctld:   {reference.Describe()}");
        output.WriteLine($"gatehouse: {ours.Describe()}");
        Assert.Null(reference.Error);
        Assert.Equal(reference.ContextFlags, ours.ContextFlags);
        Assert.Equal(reference.MicVerified, ours.MicVerified);
        Assert.Equal(reference.ReplyFlags, ours.ReplyFlags);
        Assert.Equal(reference.Status, ours.Status);
        Assert.Equal(reference.Text, ours.Text);
        Assert.Equal(reference.Output, ours.Output);
        Assert.Equal(reference.ClosedAfter, ours.ClosedAfter);
        Assert.Equal(reference.Error, ours.Error);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public Task A_command_gets_the_same_bytes_from_remctld_and_from_gatehouse(string name, string[] args)
    {
        output.WriteLine(name);
        return Compare(port => RemctlV1Client.CommandAsync(realm, port, args));
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public Task A_malformed_command_gets_the_same_bytes_from_remctld_and_from_gatehouse(string name, string hex)
    {
        output.WriteLine(name);
        return Compare(port => RemctlV1Client.RawAsync(realm, port, Convert.FromHexString(hex)));
    }

    [Fact]
    public Task A_command_without_SEND_MIC_gets_the_same_bytes_from_remctld_and_from_gatehouse()
        => Compare(port => RemctlV1Client.RawAsync(realm, port,
            Convert.FromHexString("00000003" + "00000004" + Hex("test") + "00000004" + Hex("echo") + "00000002" + Hex("hi")), sendMic: false));

    [Fact]
    public async Task Output_written_to_stderr_then_stdout_keeps_the_programs_order_every_time_as_remctld_does()
    {
        // One socket for both streams, as remctld gives a v1 program: with two pipes the order was the
        // pumps' (reversed in 14 of 20 runs before).
        for (int i = 0; i < 10; i++)
        {
            await Compare(port => RemctlV1Client.CommandAsync(realm, port, "test", "stderr", "x"));
        }
    }

    [Fact]
    public async Task A_command_name_with_a_nul_octet_is_Invalid_command_token_in_version_2_too_as_remctld_says()
    {
        async Task<(int? Code, string? Message)> Run(int port)
        {
            await using var client = await Gatehouse.Remctl.RemctlClient.ConnectAsync("localhost",
                new Gatehouse.Remctl.RemctlClientOptions { Port = port, CredentialCache = realm.CredentialCache });
            var result = await client.ExecuteAsync(["te\0st", "echo"]);
            return (result.ErrorCode, result.ErrorMessage);
        }

        var reference = await Run(realm.RemctldPort);
        Assert.Equal((4, "Invalid command token"), reference);
        Assert.Equal(reference, await Run(_gw.Server.RemctlEndpoint!.Port));
    }

    [Fact]
    public async Task With_RemctlProtocolV1_off_the_gateway_closes_a_version_1_connection_and_still_serves_version_2()
    {
        await using var off = await TestGateway.StartAsync(o => o with
        {
            CommandsFile = Path.Combine(realm.Dir, "remctl.conf"),
            RemctlListen = "127.0.0.1:0",
            RemctlKeytab = realm.HostKeytab,
            RemctlProtocolV1 = false,
        });
        int port = off.Server.RemctlEndpoint!.Port;
        var reply = await RemctlV1Client.CommandAsync(realm, port, "test", "echo", "v1");
        Assert.Contains(reply.Error, new[] { "closed during handshake", "reset during handshake" });
        Assert.Null(reply.Status);

        await using var client = await Gatehouse.Remctl.RemctlClient.ConnectAsync("localhost",
            new Gatehouse.Remctl.RemctlClientOptions { Port = port, CredentialCache = realm.CredentialCache });
        Assert.Equal("echo v2\n", Encoding.UTF8.GetString((await client.ExecuteAsync(["test", "echo", "v2"])).Stdout.Span));
    }
}
