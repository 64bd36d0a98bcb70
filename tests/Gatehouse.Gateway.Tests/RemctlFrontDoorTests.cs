using System.Text;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Backends;
using Gatehouse.Gateway.FrontDoors;
using Gatehouse.Protocol;
using Gatehouse.Remctl;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Tests;

/// <summary>
/// The remctl front door feeds the same pipeline: attached services behind RemctlServiceAcl,
/// remctl.conf commands with their own ACLs, remctld's error wording. (The Kerberos wire itself is
/// tested against stock remctl in the interop tests.)
/// </summary>
public sealed class RemctlFrontDoorTests
{
    private sealed class Output : IRemctlOutput
    {
        private readonly StringBuilder _text = new();

        public string Text => _text.ToString();

        public ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            _text.Append(CultureInfoPrefix(stream)).Append(Encoding.UTF8.GetString(data.Span));
            return ValueTask.CompletedTask;
        }

        private static string CultureInfoPrefix(int stream) => stream == 1 ? "[out]" : "[err]";
    }

    private static RemctlRequest Request(string principal, params string[] words) =>
        new(words.Select(w => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(w)).ToArray(), principal, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 4373), DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));

    [Fact]
    public async Task A_principal_the_service_acl_allows_reaches_an_attached_service_with_kerberos_metadata()
    {
        await using var h = PipelineHarness.Create(o => o with { RemctlServiceAcl = "princ:alice@EXAMPLE.ORG" });
        RequestHeader? seen = null;
        await h.AttachServiceAsync(RequestHeader.DefaultDomain, "who", 2, async s =>
        {
            seen = s.Header;
            await s.WriteAsync(1, "hi\n"u8.ToArray());
            await s.WriteAsync(3, "diag\n"u8.ToArray());
            s.Complete(CallStatus.Exit(4));
        });
        var door = new RemctlFrontDoor(h.Runtime, h.Pipeline);
        var output = new Output();
        var outcome = await door.ExecuteAsync(Request("alice@EXAMPLE.ORG", "who", "am", "i"), output, CancellationToken.None);

        Assert.Equal(new RemctlOutcome.Exited(4), outcome);
        Assert.Equal("[out]hi\n[err]diag\n", output.Text);
        Assert.NotNull(seen);
        Assert.Equal("alice@EXAMPLE.ORG", seen.GetMetadata("REMOTE_USER"));
        Assert.Equal("127.0.0.1", seen.GetMetadata("REMOTE_ADDR"));
        Assert.Equal("1900000000", seen.GetMetadata("REMOTE_EXPIRES"));
        Assert.Equal("remctl", seen.GetMetadata("GATEHOUSE_FRONT_DOOR"));
        Assert.Null(seen.GetMetadata("GATEHOUSE_FINGERPRINT"));
        Assert.Equal(["am", "i"], seen.Arguments.Select(a => Encoding.UTF8.GetString(a.Span)));
        Assert.Equal(0, h.Runtime.LoadOf("alice@EXAMPLE.ORG").InFlight);
    }

    [Fact]
    public async Task A_command_name_with_a_nul_octet_is_remctlds_invalid_command_before_any_lookup()
    {
        await using var h = PipelineHarness.Create();
        int served = 0;
        await h.AttachServiceAsync(RequestHeader.DefaultDomain, "who", 2, s =>
        {
            Interlocked.Increment(ref served);
            s.Complete(CallStatus.Exit(0));
            return Task.CompletedTask;
        });
        var door = new RemctlFrontDoor(h.Runtime, h.Pipeline);
        var outcome = await door.ExecuteAsync(Request("alice@EXAMPLE.ORG", "who\0", "am"), new Output(), CancellationToken.None);
        Assert.Equal(new RemctlOutcome.Failed(4, "Invalid command token"), outcome);
        Assert.Equal(0, served);
    }

    [Fact]
    public async Task A_principal_the_service_acl_refuses_gets_remctlds_access_denied_and_the_service_sees_nothing()
    {
        await using var h = PipelineHarness.Create(o => o with { RemctlServiceAcl = "princ:alice@EXAMPLE.ORG" });
        int served = 0;
        await h.AttachServiceAsync(RequestHeader.DefaultDomain, "who", 2, s =>
        {
            Interlocked.Increment(ref served);
            s.Complete(CallStatus.Exit(0));
            return Task.CompletedTask;
        });
        var door = new RemctlFrontDoor(h.Runtime, h.Pipeline);
        var outcome = await door.ExecuteAsync(Request("mallory@EXAMPLE.ORG", "who"), new Output(), CancellationToken.None);
        Assert.Equal(new RemctlOutcome.Failed(6, "Access denied"), outcome);
        Assert.Equal(0, served);
    }

    [Fact]
    public async Task Unknown_and_empty_commands_get_remctlds_errors()
    {
        await using var h = PipelineHarness.Create();
        var door = new RemctlFrontDoor(h.Runtime, h.Pipeline);
        Assert.Equal(new RemctlOutcome.Failed(5, "Unknown command"), await door.ExecuteAsync(Request("alice@EXAMPLE.ORG", "nope"), new Output(), CancellationToken.None));
        Assert.Equal(new RemctlOutcome.Failed(4, "Invalid command token"), await door.ExecuteAsync(Request("alice@EXAMPLE.ORG"), new Output(), CancellationToken.None));
    }

    [Fact]
    public async Task A_remctl_conf_command_runs_with_its_own_acl_and_the_kerberos_principal()
    {
        string dir = Directory.CreateTempSubdirectory("gatehouse-conf-").FullName;
        try
        {
            string conf = Path.Combine(dir, "remctl.conf");
            string script = Path.Combine(dir, "who");
            File.WriteAllText(script, "#!/bin/sh\nprintf '%s\\n' \"$REMOTE_USER\"\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.WriteAllText(conf, $"env show {script} princ:alice@EXAMPLE.ORG\n");
            await using var h = PipelineHarness.Create();
            await using var backend = new CommandsBackend(conf, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, h.Runtime.Processes);
            h.Runtime.AddBackend(backend);
            var door = new RemctlFrontDoor(h.Runtime, h.Pipeline);
            var output = new Output();
            Assert.Equal(new RemctlOutcome.Exited(0), await door.ExecuteAsync(Request("alice@EXAMPLE.ORG", "env", "show"), output, CancellationToken.None));
            Assert.Equal("[out]alice@EXAMPLE.ORG\n", output.Text);
            var refused = await door.ExecuteAsync(Request("bob@EXAMPLE.ORG", "env", "show"), new Output(), CancellationToken.None);
            Assert.Equal(6, Assert.IsType<RemctlOutcome.Failed>(refused).ErrorCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
