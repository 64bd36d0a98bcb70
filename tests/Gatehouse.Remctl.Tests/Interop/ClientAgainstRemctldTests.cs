using System.Text;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Remctl.Tests.Interop;

/// <summary>Our <see cref="RemctlClient"/> against stock remctld 3.18 (Debian remctl-server) in the test realm.</summary>
[Collection(KerberosCollection.Name)]
public sealed class ClientAgainstRemctldTests(KerberosRealm realm, Xunit.Abstractions.ITestOutputHelper output)
{
    private RemctlClientOptions Options => new() { Port = realm.RemctldPort, CredentialCache = realm.CredentialCache };

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    [Fact]
    public async Task Echo_env_status_and_stderr()
    {
        await using var client = await RemctlClient.ConnectAsync("localhost", Options);

        var echo = await client.ExecuteAsync(["test", "echo", "hello", "world"]);
        Assert.Equal(0, echo.ExitStatus);
        // remctld passes the subcommand as argv[1], so /bin/echo prints it too.
        Assert.Equal("echo hello world\n", Text(echo.Stdout));

        var env = await client.ExecuteAsync(["test", "env"]);
        Assert.Contains($"REMOTE_USER={KerberosRealm.UserPrincipal}\n", Text(env.Stdout));
        Assert.Contains("REMOTE_EXPIRES=", Text(env.Stdout));

        var status = await client.ExecuteAsync(["test", "status", "7"]);
        Assert.Equal(7, status.ExitStatus);
        Assert.False(status.IsError);

        var stderr = await client.ExecuteAsync(["test", "stderr", "a", "b"]);
        Assert.Equal(0, stderr.ExitStatus);
        Assert.Equal("to stdout\n", Text(stderr.Stdout));
        Assert.Equal("to stderr: a b\n", Text(stderr.Stderr));
    }

    [Fact]
    public async Task Access_denied_and_unknown_command_are_errors_on_a_connection_that_stays_usable()
    {
        await using var client = await RemctlClient.ConnectAsync("localhost", Options);

        var denied = await client.ExecuteAsync(["test", "denied"]);
        Assert.Equal(6, denied.ErrorCode);
        Assert.Equal("Access denied", denied.ErrorMessage);

        var unknown = await client.ExecuteAsync(["test", "nosuch"]);
        Assert.Equal(5, unknown.ErrorCode);
        Assert.Equal("Unknown command", unknown.ErrorMessage);

        Assert.Equal(0, (await client.ExecuteAsync(["test", "echo", "still"])).ExitStatus);
    }

    [Fact]
    public async Task Output_over_64_KiB_streams_to_the_callback()
    {
        await using var client = await RemctlClient.ConnectAsync("localhost", Options);
        long received = 0;
        int calls = 0;
        var result = await client.ExecuteAsync(
            [.. new[] { "test", "big", "300000" }.Select(s => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(s))],
            (stream, data, _) =>
            {
                Assert.Equal(1, stream);
                Assert.True(data.Span.IndexOfAnyExcept((byte)'x') < 0);
                received += data.Length;
                calls++;
                return ValueTask.CompletedTask;
            });
        Assert.Equal(0, result.ExitStatus);
        Assert.Equal(300_000, received);
        Assert.True(calls >= 5, $"expected several OUTPUT messages, got {calls}");
        Assert.True(result.Stdout.IsEmpty);
    }

    [Fact]
    public async Task Arguments_over_64_KiB_are_sent_as_a_continued_command()
    {
        await using var client = await RemctlClient.ConnectAsync("localhost", Options);
        // remctld execs a program, and one argv string may not exceed 128 KiB on Linux: 2 x 100 kB.
        var q = new string('q', 100_000);
        var r = new string('r', 100_000);
        var result = await client.ExecuteAsync(["test", "args", q, "", r]);
        Assert.Equal(0, result.ExitStatus);
        Assert.Equal($"[{q}]\n[]\n[{r}]\n", Text(result.Stdout));
    }

    [Fact]
    public async Task Many_commands_and_noops_on_one_connection()
    {
        await using var client = await RemctlClient.ConnectAsync("localhost", Options);
        Assert.True(await client.NoopAsync());
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 50; i++)
        {
            var result = await client.ExecuteAsync(["test", "echo", i.ToString()]);
            Assert.Equal($"echo {i}\n", Text(result.Stdout));
        }

        output.WriteLine($"remctld: 50 commands with output in {watch.Elapsed.TotalMilliseconds:F0} ms");

        Assert.True(await client.NoopAsync());
        Assert.Equal(3, client.ServerProtocolVersion);
    }

    [Fact]
    public async Task Explicit_server_principal_and_explicit_ticket_cache()
    {
        string ccache = "FILE:" + Path.Combine(realm.Dir, "bob.ccache");
        await realm.KinitAsync(KerberosRealm.OtherPrincipal, Path.Combine(realm.Dir, "bob.keytab"), ccache);
        var options = Options with { ServerPrincipal = KerberosRealm.HostPrincipal, CredentialCache = ccache };
        await using var client = await RemctlClient.ConnectAsync("127.0.0.1", options);
        var env = await client.ExecuteAsync(["test", "env"]);
        Assert.Contains($"REMOTE_USER={KerberosRealm.OtherPrincipal}\n", Text(env.Stdout));
    }

    [Fact]
    public async Task Unknown_server_principal_fails_authentication()
    {
        var options = Options with { ServerPrincipal = "host/nowhere.invalid@" + KerberosRealm.Realm };
        var ex = await Assert.ThrowsAsync<RemctlGssException>(() => RemctlClient.ConnectAsync("localhost", options));
        Assert.Contains("initializing context", ex.Message);
    }

    [Fact]
    public async Task Connect_to_a_closed_port_fails_cleanly()
    {
        var options = Options with { Port = KerberosRealm.FreePort() };
        await Assert.ThrowsAsync<RemctlException>(() => RemctlClient.ConnectAsync("127.0.0.1", options));
    }
}
