using System.Text;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Remctl.Tests.Interop;

/// <summary>The stock remctl command-line client (Debian remctl-client 3.18) against our server.</summary>
[Collection(KerberosCollection.Name)]
public sealed class StockClientTests(KerberosRealm realm) : IAsyncLifetime
{
    private readonly TestDispatcher _dispatcher = new();
    private RemctlTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RemctlTestServer.StartAsync(realm, _dispatcher);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Remctl(params string[] command)
        => realm.RunAsync(ProcessRunner.Require("remctl", "remctl-client"), ["-p", _server.Port.ToString(), "localhost", .. command]);

    [Fact]
    public async Task Command_output_and_exit_status()
    {
        var result = await Remctl("echo", "hello", "world");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello world\n", result.Stdout);
        Assert.Equal(["echo", "hello", "world"], _dispatcher.LastRequest!.Arguments.Select(a => Encoding.UTF8.GetString(a.Span)));
    }

    [Fact]
    public async Task Stderr_and_nonzero_exit_status()
    {
        var result = await Remctl("stderr", "oops");
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("out\n", result.Stdout);
        Assert.Equal("oops\n", result.Stderr);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(255)]
    public async Task Exit_codes_pass_through(int code)
        => Assert.Equal(code, (await Remctl("exit", code.ToString())).ExitCode);

    [Fact]
    public async Task Access_denied_error_prints_message_and_exits_255()
    {
        var result = await Remctl("denied");
        Assert.Equal(255, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Equal("Access denied\n", result.Stderr);
    }

    [Fact]
    public async Task Unknown_command_error_prints_message_and_exits_255()
    {
        var result = await Remctl("no-such-command", "x");
        Assert.Equal(255, result.ExitCode);
        Assert.Equal("Unknown command\n", result.Stderr);
    }

    [Fact]
    public async Task Dispatcher_exception_is_internal_error()
    {
        var result = await Remctl("throw");
        Assert.Equal(255, result.ExitCode);
        Assert.Equal("Internal failure\n", result.Stderr);
        Assert.True(_server.Logs.Has(4312), "dispatcher failure was not logged");
    }

    [Fact]
    public async Task Output_over_64_KiB_arrives_intact()
    {
        var result = await Remctl("big", "300000");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(Encoding.ASCII.GetString(TestDispatcher.Pattern(300000)), result.Stdout.TrimEnd('\n'));
    }

    [Fact]
    public async Task Arguments_over_64_KiB_arrive_as_continued_command()
    {
        // One argv string may not exceed 128 KiB on Linux; two of 100 kB make a 200 kB command.
        var result = await Remctl("len", new string('q', 100_000), new string('r', 100_000), "", "x");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("100000 100000 0 1\n", result.Stdout);
    }

    [Fact]
    public async Task Principal_and_expiry_reach_the_dispatcher()
    {
        var before = DateTimeOffset.UtcNow;
        var result = await Remctl("whoami");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith(KerberosRealm.UserPrincipal + "\n", result.Stdout);
        var request = _dispatcher.LastRequest!;
        Assert.Equal(KerberosRealm.UserPrincipal, request.Principal);
        Assert.NotNull(request.Expires);
        Assert.InRange(request.Expires!.Value, before.AddHours(1), before.AddHours(25));
        Assert.Equal(System.Net.IPAddress.Loopback, request.RemoteEndPoint!.Address.MapToIPv4());
        Assert.False(request.IsAnonymous);
    }
}
