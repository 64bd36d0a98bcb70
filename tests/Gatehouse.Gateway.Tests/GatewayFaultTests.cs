using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Backends;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Tests;

/// <summary>
/// A real gateway (Kestrel on loopback, its once-a-second timer) meeting faults in its own files
/// and background work: it must log them and keep running. An exception escaping the timer would
/// end this test process, so each of these tests fails loudly on a gateway that lets one escape.
/// </summary>
public sealed class GatewayFaultTests : IDisposable
{
    private const int AuthorizedFileFailed = 2011;
    private const int AuthorizedFileRecovered = 2012;
    private const int SweepFailed = 2013;
    private const int UnsafeStateDirectory = 2014;

    private readonly TempState state = new();
    private readonly RecordingLoggerProvider log = new();

    public void Dispose() => state.Dispose();

    private Task<GatewayServer> StartAsync() => GatewayServer.StartAsync(
        new GatewayOptions { Listen = ["127.0.0.1:0"], StateDirectory = state.Path, DrainTimeout = TimeSpan.FromSeconds(1) },
        logging => logging.AddProvider(log).SetMinimumLevel(LogLevel.Debug));

    private static async Task<bool> Eventually(Func<bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return condition();
    }

    [Fact]
    public async Task An_unreadable_authorized_file_leaves_the_gateway_running_with_its_old_grants()
    {
        await using var server = await StartAsync();
        var peers = server.Runtime.Authorized;
        var alice = PeerIdentity.CreateEphemeral("alice").Fingerprint;
        AuthorizedPeers.Upsert(peers.Path, new PeerGrant(alice, "alice", PeerRoles.Client, []));
        Assert.True(await Eventually(() => peers.Find(alice) is not null, TimeSpan.FromSeconds(10)), "the sweep did not load the file");

        using (TempState.SocketAt(peers.Path))
        {
            // Several sweeps meet the unreadable file: one error line (rate-limited), grants kept.
            Assert.True(await Eventually(() => log.Count(AuthorizedFileFailed) > 0, TimeSpan.FromSeconds(10)), "no error was logged");
            await Task.Delay(2500);
            Assert.Equal(1, log.Count(AuthorizedFileFailed));
            Assert.NotNull(peers.Find(alice));
            Assert.Contains(log.Lines, l => l.EventId == AuthorizedFileFailed && l.Text.Contains(peers.Path, StringComparison.Ordinal));
        }

        File.Delete(peers.Path);
        var bob = PeerIdentity.CreateEphemeral("bob").Fingerprint;
        AuthorizedPeers.Upsert(peers.Path, new PeerGrant(bob, "bob", PeerRoles.Client, []));
        Assert.True(await Eventually(() => peers.Find(bob) is not null, TimeSpan.FromSeconds(10)), "the good file was not loaded again");
        Assert.True(await Eventually(() => log.Count(AuthorizedFileRecovered) == 1, TimeSpan.FromSeconds(5)));
        Assert.Null(peers.Find(alice));
    }

    [Fact]
    public async Task An_exception_inside_the_sweep_is_logged_once_and_the_sweep_keeps_running()
    {
        await using var server = await StartAsync();
        int calls = 0;
        server.Runtime.SweepHook = () =>
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("injected sweep fault");
        };

        Assert.True(await Eventually(() => Volatile.Read(ref calls) >= 3, TimeSpan.FromSeconds(10)), "the sweep stopped after a fault");
        Assert.Equal(1, log.Count(SweepFailed));
        server.Runtime.SweepHook = null;

        // And the sweep still does its work afterwards.
        var alice = PeerIdentity.CreateEphemeral("alice").Fingerprint;
        AuthorizedPeers.Upsert(server.Runtime.Authorized.Path, new PeerGrant(alice, "alice", PeerRoles.Client, []));
        Assert.True(await Eventually(() => server.Runtime.Authorized.Find(alice) is not null, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_backend_whose_reload_throws_makes_reload_report_an_error_instead_of_throwing()
    {
        await using var server = await StartAsync();
        server.Runtime.AddBackend(new ThrowingBackend());
        var errors = server.Runtime.Reload();
        Assert.Contains(errors, e => e.Contains("injected reload fault", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unsafe_state_directory_is_warned_about_at_start_on_reload_and_once_per_change()
    {
        var rwx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        File.SetUnixFileMode(state.Path, rwx | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        await using var server = await StartAsync();
        Assert.Equal(1, log.Count(UnsafeStateDirectory));
        Assert.Contains(log.Lines, l => l.EventId == UnsafeStateDirectory && l.Text.Contains("mode 0777", StringComparison.Ordinal));

        await Task.Delay(1500); // sweeps see the same problem: no new warning
        Assert.Equal(1, log.Count(UnsafeStateDirectory));

        File.SetUnixFileMode(state.Path, rwx | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);
        Assert.True(await Eventually(() => log.Count(UnsafeStateDirectory) == 2, TimeSpan.FromSeconds(5)), "a changed problem was not warned about");
        server.Runtime.Reload();
        Assert.Equal(3, log.Count(UnsafeStateDirectory));

        File.SetUnixFileMode(state.Path, rwx);
        await Task.Delay(1500);
        server.Runtime.Reload();
        Assert.Equal(3, log.Count(UnsafeStateDirectory));
    }

    private sealed class ThrowingBackend : ICommandBackend
    {
        public bool Handles(string domain, string command) => false;

        public Task<CallStatus> ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public string? Reload() => throw new InvalidOperationException("injected reload fault");
    }
}

public sealed class IdentityFileTests : IDisposable
{
    private readonly TempState state = new();

    public void Dispose() => state.Dispose();

    [Fact]
    public async Task A_damaged_identity_key_stops_the_start_with_an_IOException_naming_the_file()
    {
        PeerIdentity.LoadOrCreate(state.Path, "gw", out _).Dispose();
        File.WriteAllText(state.File(PeerIdentity.KeyFileName), "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        var ex = await Assert.ThrowsAsync<IOException>(() => GatewayServer.StartAsync(new GatewayOptions { Listen = ["127.0.0.1:0"], StateDirectory = state.Path }));
        Assert.Contains(state.File(PeerIdentity.KeyFileName), ex.Message, StringComparison.Ordinal);
    }
}
