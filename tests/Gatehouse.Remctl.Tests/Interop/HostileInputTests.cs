using System.Buffers;
using Gatehouse.Protocol;
using System.Buffers.Binary;
using Gatehouse.Remctl.Protocol;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Remctl.Tests.Interop;

/// <summary>
/// Malformed and hostile input against our server, before and after authentication. Each case must get the
/// protocol's answer (MESSAGE_ERROR with the right code, MESSAGE_VERSION) or a closed connection, and the
/// server must keep serving a well-behaved client afterwards.
/// </summary>
[Collection(KerberosCollection.Name)]
public sealed class HostileInputTests(KerberosRealm realm) : IAsyncLifetime
{
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(10);
    private readonly TestDispatcher _dispatcher = new();
    private RemctlTestServer _server = null!;

    public async Task InitializeAsync()
        => _server = await RemctlTestServer.StartAsync(realm, _dispatcher,
            new RemctlServerOptions
            {
                KeytabPath = realm.HostKeytab,
                HandshakeTimeout = TimeSpan.FromSeconds(2),
                IdleTimeout = TimeSpan.FromSeconds(3),
                WriteTimeout = TimeSpan.FromSeconds(2),
            });

    public async Task DisposeAsync()
    {
        // Whatever happened, the server still serves a good client...
        await using (var client = await RemctlClient.ConnectAsync("localhost",
                         new RemctlClientOptions { Port = _server.Port, CredentialCache = realm.CredentialCache }))
        {
            Assert.Equal(0, (await client.ExecuteAsync(["echo", "ok"])).ExitStatus);
        }

        // ...and never logged an unexpected failure.
        Assert.DoesNotContain(_server.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
        await _server.DisposeAsync();
    }

    private Task<RawRemctlConnection> Connect() => RawRemctlConnection.ConnectAsync(_server.Port);

    private async Task<RawRemctlConnection> Authenticated()
    {
        var c = await Connect();
        await c.AuthenticateAsync();
        return c;
    }

    private static async Task ExpectError(RawRemctlConnection c, RemctlErrorCode code)
    {
        var message = await c.ReadMessageAsync();
        var error = Assert.IsType<RemctlErrorMessage>(message);
        Assert.Equal((int)code, error.Code);
    }

    private static async Task ExpectWorking(RawRemctlConnection c)
    {
        await c.SendCommandAsync(["echo", "alive"]);
        var output = Assert.IsType<RemctlOutputMessage>(await c.ReadMessageAsync());
        Assert.Equal("alive\n"u8.ToArray(), output.Data.ToArray());
        Assert.Equal(0, Assert.IsType<RemctlStatusMessage>(await c.ReadMessageAsync()).ExitStatus);
    }

    // ---- before authentication: the connection is dropped ----

    [Fact]
    public async Task A_client_that_stops_reading_is_dropped_after_the_write_timeout_and_its_command_cancelled()
    {
        await using var c = await Authenticated();
        // Far more output than socket buffers and pipes hold (64 GB); the client reads none of it.
        await c.SendCommandAsync(["chunks", "1000000", "65536"]);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!_server.Logs.Has(4318) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(_server.Logs.Has(4318), "the stalled connection was not dropped");
        // Dropped: reading now reaches the end (or a reset) instead of endless output.
        Assert.True(await c.IsClosedByPeerAsync(TimeSpan.FromSeconds(30)));
        var request = Assert.Single(_dispatcher.Requests, r => r.Arguments.Count == 3);
        Assert.Equal("chunks"u8.ToArray(), request.Arguments[0].ToArray());

        // The 64 GB command stopped instead of running on.
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (!_dispatcher.Ended.Contains(request) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Contains(request, _dispatcher.Ended);
    }

    [Fact]
    public async Task Garbage_before_authentication_is_dropped()
    {
        await using var c = await Connect();
        await c.SendRawAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()); // reads as a 1.1 GB token
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4305), "oversize first token not logged");
    }

    [Fact]
    public async Task Bad_flags_in_first_token_are_dropped()
    {
        await using var c = await Connect();
        await c.SendRawAsync([0x99, 0, 0, 0, 2, 1, 2]);
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4303), "bad flags not logged");
    }

    [Fact]
    public async Task Oversize_length_before_authentication_is_dropped()
    {
        await using var c = await Connect();
        await c.SendRawAsync([0x51, 0xff, 0xff, 0xff, 0xff]);
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
    }

    [Fact]
    public async Task Truncated_token_then_end_of_stream_is_dropped()
    {
        await using var c = await Connect();
        await c.SendTokenAsync(RemctlLimits.InitialV2, []);
        await c.SendRawAsync([0x42, 0, 0, 0, 100, 1, 2, 3]);
        c.ShutdownSend();
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4305), "truncated handshake token not logged");
        Assert.Empty(_dispatcher.Requests);
    }

    [Fact]
    public async Task Stalled_handshake_times_out()
    {
        await using var c = await Connect();
        await c.SendRawAsync([0x51, 0, 0]); // half a header, then silence
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4310), "handshake timeout not logged");
    }

    [Fact]
    public async Task Version_1_client_that_sends_v2_context_tokens_is_dropped()
    {
        await using var c = await Connect();
        await c.SendTokenAsync(RemctlLimits.InitialV1, []);
        await c.SendTokenAsync(RemctlLimits.ContextV2, c.StartInitiator());
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4303), "bad context flags not logged");
        Assert.Empty(_dispatcher.Requests);
    }

    // ---- protocol version 1, after authentication: one reply (or none) and the connection closes ----

    private async Task<RawRemctlConnection> AuthenticatedV1()
    {
        var c = await Connect();
        await c.AuthenticateV1Async();
        return c;
    }

    private static byte[] V1Command(params string[] args)
    {
        var w = new ArrayBufferWriter<byte>();
        RemctlV1Codec.WriteCommand(w, [.. args.Select(a => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes(a))]);
        return w.WrittenSpan.ToArray();
    }

    [Fact]
    public async Task Version_1_command_gets_a_MIC_that_verifies_then_one_reply_then_the_close()
    {
        await using var c = await AuthenticatedV1();
        byte[] command = V1Command("echo", "raw");
        await c.SendWrappedAsync(command, RemctlTokenFlags.Data | RemctlTokenFlags.SendMic);
        var mic = await c.ReadTokenAsync();
        Assert.Equal(RemctlTokenFlags.Mic, mic!.Value.Flags);
        c.VerifyMic(command, mic.Value.Payload);
        Assert.Equal((0, "raw\n"), await c.ReadV1ReplyAsync());
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
    }

    [Fact]
    public async Task Version_1_token_cut_short_closes_without_a_reply()
    {
        await using var c = await AuthenticatedV1();
        await c.SendRawAsync([0x24, 0, 0, 1, 0, 1, 2, 3]); // declares 256 bytes, sends 3
        c.ShutdownSend();
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4315), "truncated token not logged");
        Assert.Empty(_dispatcher.Requests);
    }

    [Fact]
    public async Task Version_1_token_over_1_MiB_gets_Too_much_data_before_anything_is_buffered()
    {
        await using var c = await AuthenticatedV1();
        await c.SendRawAsync([0x24, 0x7f, 0xff, 0xff, 0xff]);
        Assert.Equal((-1, "Too much data\n"), await c.ReadV1ReplyAsync());
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.Empty(_dispatcher.Requests);
    }

    [Fact]
    public async Task Version_1_token_that_does_not_unwrap_gets_Invalid_token()
    {
        await using var c = await AuthenticatedV1();
        await c.SendTokenAsync(RemctlTokenFlags.Data | RemctlTokenFlags.SendMic, [1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Equal((-1, "Invalid token\n"), await c.ReadV1ReplyAsync());
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4319));
        Assert.Empty(_dispatcher.Requests);
    }

    [Theory]
    [InlineData(RemctlLimits.DataV2)]
    [InlineData(RemctlTokenFlags.Context)]
    [InlineData(RemctlTokenFlags.Mic)]
    public async Task Version_1_token_that_is_not_a_data_token_gets_Invalid_token(RemctlTokenFlags flags)
    {
        await using var c = await AuthenticatedV1();
        await c.SendWrappedAsync(V1Command("echo", "x"), flags);
        Assert.Equal((-1, "Invalid token\n"), await c.ReadV1ReplyAsync());
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4303));
        Assert.Empty(_dispatcher.Requests);
    }

    [Fact]
    public async Task Version_1_command_over_64_KiB_gets_Too_much_data_after_its_MIC()
    {
        await using var c = await AuthenticatedV1();
        byte[] command = V1Command("echo", new string('z', 70_000));
        await c.SendWrappedAsync(command, RemctlTokenFlags.Data | RemctlTokenFlags.SendMic);
        var mic = await c.ReadTokenAsync();
        Assert.Equal(RemctlTokenFlags.Mic, mic!.Value.Flags);
        c.VerifyMic(command, mic.Value.Payload); // the MIC used a sequence number: the reply comes after it
        Assert.Equal((-1, "Too much data\n"), await c.ReadV1ReplyAsync());
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.Empty(_dispatcher.Requests);
    }

    [Fact]
    public async Task Version_1_client_that_sends_nothing_after_authenticating_is_closed_at_the_idle_timeout()
    {
        await using var c = await AuthenticatedV1();
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4311), "idle timeout not logged");
    }

    [Fact]
    public async Task Client_that_drops_TOKEN_PROTOCOL_during_negotiation_is_refused()
    {
        await using var c = await Connect();
        await c.SendTokenAsync(RemctlLimits.InitialV2, []);
        await c.SendTokenAsync(RemctlTokenFlags.Context, c.StartInitiator()); // 0x02: a v1 context token
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4304), "downgrade not logged");
    }

    [Fact]
    public async Task Garbage_context_token_is_dropped()
    {
        await using var c = await Connect();
        await c.SendTokenAsync(RemctlLimits.InitialV2, []);
        await c.SendTokenAsync(RemctlLimits.ContextV2, [1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4305));
    }

    // ---- after authentication ----

    [Fact]
    public async Task Idle_connection_is_closed_after_the_idle_timeout()
    {
        await using var c = await Authenticated();
        await ExpectWorking(c);
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.True(_server.Logs.Has(4311), "idle timeout not logged");
    }

    [Fact]
    public async Task Garbage_data_token_gets_bad_token_then_close()
    {
        await using var c = await Authenticated();
        await c.SendTokenAsync(RemctlLimits.DataV2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        await ExpectError(c, RemctlErrorCode.BadToken);
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
    }

    [Fact]
    public async Task Wrong_flags_after_authentication_get_bad_token_then_close()
    {
        await using var c = await Authenticated();
        await c.SendWrappedAsync([2, 7], RemctlTokenFlags.Data); // TOKEN_PROTOCOL dropped
        await ExpectError(c, RemctlErrorCode.BadToken);
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
    }

    [Fact]
    public async Task Oversize_length_after_authentication_gets_bad_token_then_close()
    {
        await using var c = await Authenticated();
        await c.SendRawAsync([0x44, 0x00, 0x20, 0x00, 0x00]); // 2 MiB declared
        await ExpectError(c, RemctlErrorCode.BadToken);
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
    }

    [Fact]
    public async Task Truncated_token_after_authentication_closes()
    {
        await using var c = await Authenticated();
        await c.SendRawAsync([0x44, 0, 0, 1, 0, 9, 9]); // 256 bytes declared, 2 sent
        c.ShutdownSend();
        await ExpectError(c, RemctlErrorCode.BadToken);
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
    }

    [Fact]
    public async Task Newer_protocol_version_gets_version_reply_and_connection_stays()
    {
        await using var c = await Authenticated();
        await c.SendWrappedAsync([9, 1, 1, 0, 0, 0, 0, 0]);
        var version = Assert.IsType<RemctlVersionMessage>(await c.ReadMessageAsync());
        Assert.Equal(3, version.HighestSupported);
        await ExpectWorking(c);
    }

    [Fact]
    public async Task Unknown_message_type_and_server_only_types_get_unknown_message()
    {
        await using var c = await Authenticated();
        await c.SendWrappedAsync([2, 42]);
        await ExpectError(c, RemctlErrorCode.UnknownMessage);
        await c.SendWrappedAsync([2, (byte)RemctlMessageType.Status, 0]);
        await ExpectError(c, RemctlErrorCode.UnknownMessage);
        await ExpectWorking(c);
    }

    [Fact]
    public async Task Short_message_gets_bad_token_and_connection_stays()
    {
        await using var c = await Authenticated();
        await c.SendWrappedAsync([2]);
        await ExpectError(c, RemctlErrorCode.BadToken);
        await ExpectWorking(c);
    }

    [Fact]
    public async Task Too_many_arguments_gets_error_7()
    {
        await using var c = await Authenticated();
        var data = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(data, 5000);
        await c.SendMessageAsync(w => RemctlMessageWriter.WriteCommand(w, true, RemctlContinueStatus.Complete, data));
        await ExpectError(c, RemctlErrorCode.TooManyArgs);
        await ExpectWorking(c);
    }

    [Fact]
    public async Task Huge_declared_argument_gets_error_8_without_buffering()
    {
        await using var c = await Authenticated();
        byte[] data = [0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, (byte)'x'];
        await c.SendMessageAsync(w => RemctlMessageWriter.WriteCommand(w, true, RemctlContinueStatus.Complete, data));
        await ExpectError(c, RemctlErrorCode.TooMuchData);
        await ExpectWorking(c);
    }

    [Fact]
    public async Task Message_over_64_KiB_gets_error_8()
    {
        await using var c = await Authenticated();
        var plaintext = new byte[RemctlLimits.MaxMessage + 100];
        plaintext[0] = 2;
        plaintext[1] = 1;
        await c.SendWrappedAsync(plaintext);
        await ExpectError(c, RemctlErrorCode.TooMuchData);
        await ExpectWorking(c);
    }

    [Fact]
    public async Task Continuation_without_start_gets_error_4()
    {
        await using var c = await Authenticated();
        await c.SendMessageAsync(w => RemctlMessageWriter.WriteCommand(w, true, RemctlContinueStatus.Last, [0, 0, 0, 0]));
        await ExpectError(c, RemctlErrorCode.BadCommand);
        await ExpectWorking(c);
    }

    [Fact]
    public async Task Other_message_inside_a_continued_command_gets_error_9_and_the_connection_closes_as_remctld_does()
    {
        await using var c = await Authenticated();
        int before = _dispatcher.Requests.Count;
        await c.SendMessageAsync(w => RemctlMessageWriter.WriteCommand(w, true, RemctlContinueStatus.First, [0, 0, 0, 1]));
        await c.SendMessageAsync(RemctlMessageWriter.WriteNoop);
        await ExpectError(c, RemctlErrorCode.UnexpectedMessage);
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.Equal(before, _dispatcher.Requests.Count); // the partial command never ran
    }

    [Fact]
    public async Task Command_split_one_byte_per_message_runs()
    {
        await using var c = await Authenticated();
        await c.SendCommandAsync(["echo", "split", "everywhere"], chunk: 1);
        var output = Assert.IsType<RemctlOutputMessage>(await c.ReadMessageAsync());
        Assert.Equal("split everywhere\n"u8.ToArray(), output.Data.ToArray());
        Assert.IsType<RemctlStatusMessage>(await c.ReadMessageAsync());
    }

    [Fact]
    public async Task Quit_in_the_middle_of_a_command_discards_it_and_closes()
    {
        await using var c = await Authenticated();
        int before = _dispatcher.Requests.Count;
        await c.SendMessageAsync(w => RemctlMessageWriter.WriteCommand(w, true, RemctlContinueStatus.First, [0, 0, 0, 1, 0, 0]));
        await c.SendMessageAsync(RemctlMessageWriter.WriteQuit);
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
        Assert.Equal(before, _dispatcher.Requests.Count);
    }

    [Fact]
    public async Task Command_without_keep_alive_closes_after_status()
    {
        await using var c = await Authenticated();
        byte[] body = [0, 0, 0, 1, 0, 0, 0, 4, (byte)'e', (byte)'c', (byte)'h', (byte)'o'];
        await c.SendMessageAsync(w => RemctlMessageWriter.WriteCommand(w, false, RemctlContinueStatus.Complete, body));
        Assert.IsType<RemctlOutputMessage>(await c.ReadMessageAsync());
        Assert.IsType<RemctlStatusMessage>(await c.ReadMessageAsync());
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
    }

    [Fact]
    public async Task Replayed_data_token_is_rejected()
    {
        await using var c = await Authenticated();
        // Wrap one NOOP and send the same token twice: GSS-API replay detection rejects the second.
        byte[] token = c.Wrap([3, (byte)RemctlMessageType.Noop]);
        await c.SendTokenAsync(RemctlLimits.DataV2, token);
        Assert.IsType<RemctlNoopMessage>(await c.ReadMessageAsync());
        await c.SendTokenAsync(RemctlLimits.DataV2, token);
        await ExpectError(c, RemctlErrorCode.BadToken);
        Assert.True(await c.IsClosedByPeerAsync(CloseWait));
    }
}
