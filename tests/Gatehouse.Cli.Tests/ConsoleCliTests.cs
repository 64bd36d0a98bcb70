using System.Net;
using System.Text.Json;

namespace Gatehouse.Cli.Tests;

/// <summary><c>gatehouse console</c> as a user starts it: a process that prints a one-time link and serves until stopped.</summary>
public sealed class ConsoleCliTests : IDisposable
{
    private readonly CliProcess _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData(new[] { "console" }, "give --via GATEWAY")]
    [InlineData(new[] { "console", "-w", "gw1", "--listen", "gw1" }, "--listen 'gw1' is not HOST:PORT")]
    [InlineData(new[] { "console", "-w", "gw1", "--connect-timeout", "0" }, "--connect-timeout must be more than 0")]
    [InlineData(new[] { "console", "--via", "gw1:99999" }, "gatehouse console: --via gw1:99999: ")]
    public async Task Console_without_nodes_or_with_a_bad_option_fails_in_one_line_with_exit_64(string[] args, string message)
    {
        var (exit, stdout, stderr) = await _cli.RunAsync(args);
        Assert.Equal(64, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Console_on_an_address_in_use_fails_in_one_line_with_exit_1()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        Assert.Equal(0, (await _cli.RunAsync("id")).Exit); // the identity exists (its creation note is not the point here)
        var (exit, stdout, stderr) = await _cli.RunAsync("console", "-w", "gw1", "--listen", $"127.0.0.1:{port}");
        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.StartsWith($"gatehouse console: cannot listen on 127.0.0.1:{port}: ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Console_prints_a_one_time_link_that_opens_one_session_never_trusts_an_unpinned_node_and_stops_on_sigterm()
    {
        var (process, output) = await _cli.StartAsync(
            _cli.StartInfo("dotnet", [CliProcess.CliDll, "console", "-w", "127.0.0.1:1", "--listen", "127.0.0.1:0"]),
            l => l.Contains("/login?token=", StringComparison.Ordinal));
        string link;
        lock (output)
        {
            link = output.ToString().Split('\n').Select(l => l.Trim()).Single(l => l.Contains("/login?token=", StringComparison.Ordinal));
        }

        Assert.StartsWith("http://127.0.0.1:", link, StringComparison.Ordinal);
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false });
        var login = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync(link)).StatusCode);
        using var stranger = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync(new Uri(new Uri(link), "/api/cluster"))).StatusCode);

        var cluster = await browser.GetAsync(new Uri(new Uri(link), "/api/cluster"));
        Assert.Equal(HttpStatusCode.OK, cluster.StatusCode);
        using var doc = JsonDocument.Parse(await cluster.Content.ReadAsStringAsync());
        var node = Assert.Single(doc.RootElement.GetProperty("members").EnumerateArray());
        Assert.Equal("127.0.0.1:1", node.GetProperty("address").GetString());
        Assert.Equal("untrusted", node.GetProperty("problem").GetProperty("kind").GetString()); // not in known_hosts: not dialled, not trusted on first use

        CliProcess.Stop(process);
        Assert.True(process.HasExited);
        Assert.Equal(0, process.ExitCode);
        lock (output)
        {
            Assert.DoesNotContain(link[(link.IndexOf('=', StringComparison.Ordinal) + 1)..], output.ToString().Replace(link, string.Empty, StringComparison.Ordinal), StringComparison.Ordinal); // the token is printed once, never logged
        }
    }
}
