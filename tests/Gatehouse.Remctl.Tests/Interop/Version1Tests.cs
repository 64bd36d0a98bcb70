using System.Text;
using Gatehouse.Remctl.Protocol;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Remctl.Tests.Interop;

/// <summary>
/// A raw protocol version 1 client (python3-gssapi, remctl_v1_client.py) against our server: handshake with
/// v1 flags, the MIC over the command, one reply with merged output and status, errors as text, the 65528-byte
/// cut, and the ProtocolV1 setting.
/// </summary>
[Collection(KerberosCollection.Name)]
public sealed class Version1Tests(KerberosRealm realm) : IAsyncLifetime
{
    private readonly TestDispatcher _dispatcher = new();
    private RemctlTestServer _server = null!;

    public async Task InitializeAsync()
    {
        await RemctlV1Client.RequireAsync(realm);
        _server = await RemctlTestServer.StartAsync(realm, _dispatcher);
    }

    public async Task DisposeAsync()
    {
        Assert.DoesNotContain(_server.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
        await _server.DisposeAsync();
    }

    private Task<RemctlV1Reply> V1(params string[] args) => RemctlV1Client.CommandAsync(realm, _server.Port, args);

    private static void AssertWellFormed(RemctlV1Reply reply)
    {
        Assert.True(reply.Error is null, reply.Describe());
        Assert.NotEmpty(reply.ContextFlags);
        Assert.All(reply.ContextFlags, f => Assert.Equal((int)RemctlTokenFlags.Context, f));
        Assert.True(reply.MicVerified, reply.Describe());
        Assert.Equal((int)RemctlTokenFlags.Data, reply.ReplyFlags);
        Assert.True(reply.ClosedAfter, "one command per connection: the server closes after its reply");
    }

    [Fact]
    public async Task A_command_gets_its_stdout_and_stderr_merged_and_its_status_after_a_verified_MIC()
    {
        var reply = await V1("stderr", "to", "err");
        AssertWellFormed(reply);
        Assert.Equal(3, reply.Status);
        Assert.Equal("out\nto err\n", reply.Text);

        var request = _dispatcher.LastRequest!;
        Assert.Equal(1, request.ProtocolVersion);
        Assert.Equal(KerberosRealm.UserPrincipal, request.Principal);
        Assert.Equal(["stderr", "to", "err"], request.Arguments.Select(a => Encoding.UTF8.GetString(a.Span)));
        Assert.Contains(_server.Logs.Entries, e => e.Id.Id == 4307 && e.Message.Contains("protocol version 1"));
    }

    [Theory]
    [InlineData("7", 7)]
    [InlineData("255", 255)]
    [InlineData("-1", -1)]
    [InlineData("1000", -1)]
    [InlineData("-5", -1)]
    public async Task Exit_codes_are_sent_as_remctld_sends_them(string code, int expected)
    {
        var reply = await V1("exit", code);
        AssertWellFormed(reply);
        Assert.Equal(expected, reply.Status);
        Assert.Empty(reply.Output);
    }

    [Theory]
    [InlineData(65_527)]
    [InlineData(65_528)]
    [InlineData(65_529)]
    [InlineData(1_000_000)]
    public async Task Output_is_cut_at_65528_bytes_and_the_rest_dropped(int size)
    {
        var reply = await V1("big", size.ToString());
        AssertWellFormed(reply);
        Assert.Equal(0, reply.Status);
        Assert.Equal(TestDispatcher.Pattern(Math.Min(size, RemctlV1Codec.MaxOutput)), reply.Output);
        Assert.Equal(size > RemctlV1Codec.MaxOutput, _server.Logs.Has(4320));
    }

    [Fact]
    public async Task A_command_with_output_over_the_limit_in_many_writes_still_runs_to_completion()
    {
        var reply = await V1("chunks", "200", "10000");
        AssertWellFormed(reply);
        Assert.Equal(0, reply.Status);
        var expected = Enumerable.Repeat(TestDispatcher.Pattern(10_000), 7).SelectMany(b => b).Take(RemctlV1Codec.MaxOutput).ToArray();
        Assert.Equal(expected, reply.Output);
        Assert.Contains(_dispatcher.Ended, r => r.ProtocolVersion == 1 && Encoding.UTF8.GetString(r.Arguments[0].Span) == "chunks");
        Assert.Contains(_server.Logs.Entries, e => e.Id.Id == 4320 && e.Message.Contains($"{2_000_000 - RemctlV1Codec.MaxOutput} bytes dropped"));
    }

    [Fact]
    public async Task Unknown_command_and_access_denied_are_text_with_status_minus_1()
    {
        var unknown = await V1("nosuch");
        AssertWellFormed(unknown);
        Assert.Equal(-1, unknown.Status);
        Assert.Equal("Unknown command\n", unknown.Text);

        var denied = await V1("denied");
        AssertWellFormed(denied);
        Assert.Equal(-1, denied.Status);
        Assert.Equal("Access denied\n", denied.Text);
    }

    [Fact]
    public async Task A_dispatcher_failure_is_Internal_failure_with_status_minus_1()
    {
        var reply = await V1("throw");
        AssertWellFormed(reply);
        Assert.Equal(-1, reply.Status);
        Assert.Equal("Internal failure\n", reply.Text);
        _server.Logs.Entries.Clear(); // the logged dispatcher exception is expected here
    }

    public static TheoryData<string, string> MalformedCommands => new()
    {
        { "00000000", "Unknown command\n" },                                      // argc 0
        { "00001001" + "00000001" + "61", "Too many arguments\n" },               // argc 4097
        { "00000002" + "00000001" + "61", "Invalid command token\n" },             // fewer length fields than argc
        { "00000001" + "00000005" + "6563686f", "Invalid command token\n" },       // length past the end
        { "00000001" + "00000004" + "6563686f" + "00", "Invalid command token\n" },// a trailing byte
        { "00000001" + "00000004" + "6563686f" + "00000000", "Invalid command token\n" }, // more arguments than argc
        { "000001", "Invalid command token\n" },                                  // shorter than argc
    };

    [Theory]
    [MemberData(nameof(MalformedCommands))]
    public async Task A_malformed_command_gets_remctlds_error_text_and_runs_nothing(string hex, string text)
    {
        var reply = await RemctlV1Client.RawAsync(realm, _server.Port, Convert.FromHexString(hex));
        AssertWellFormed(reply);
        Assert.Equal(-1, reply.Status);
        Assert.Equal(text, reply.Text);
        Assert.Empty(_dispatcher.Requests);
        Assert.True(_server.Logs.Has(4319));
    }

    [Fact]
    public async Task A_command_sent_without_SEND_MIC_is_answered_without_a_MIC()
    {
        var payload = new System.Buffers.ArrayBufferWriter<byte>();
        RemctlV1Codec.WriteCommand(payload, [Encoding.UTF8.GetBytes("echo"), Encoding.UTF8.GetBytes("plain")]);
        var reply = await RemctlV1Client.RawAsync(realm, _server.Port, payload.WrittenSpan.ToArray(), sendMic: false);
        Assert.Null(reply.Error);
        Assert.False(reply.MicVerified);
        Assert.Equal(0, reply.Status);
        Assert.Equal("plain\n", reply.Text);
    }

    [Fact]
    public async Task Binary_arguments_reach_the_dispatcher_unchanged()
    {
        // 60,000 bytes of arguments: near the 64 KiB a v1 command may hold.
        var reply = await V1("len", new string('a', 30_000), "", new string('b', 30_000));
        AssertWellFormed(reply);
        Assert.Equal("30000 0 30000\n", reply.Text);
    }

    [Fact]
    public async Task With_ProtocolV1_off_a_version_1_client_is_closed_at_its_first_token_and_v2_still_works()
    {
        await using var off = await RemctlTestServer.StartAsync(realm, _dispatcher,
            new RemctlServerOptions { KeytabPath = realm.HostKeytab, ProtocolV1 = false });
        var reply = await RemctlV1Client.CommandAsync(realm, off.Port, "echo", "x");
        Assert.Contains(reply.Error, new[] { "closed during handshake", "reset during handshake" });
        Assert.Empty(reply.ContextFlags);
        Assert.True(off.Logs.Has(4302));
        Assert.Empty(_dispatcher.Requests);

        await using var client = await RemctlClient.ConnectAsync("localhost",
            new RemctlClientOptions { Port = off.Port, CredentialCache = realm.CredentialCache });
        Assert.Equal(0, (await client.ExecuteAsync(["echo", "v2"])).ExitStatus);
    }

    [Fact]
    public void ProtocolV1_is_on_by_default() => Assert.True(new RemctlServerOptions().ProtocolV1);
}
