using System.Diagnostics;
using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Functional.Tests;

/// <summary>Shutdown (SIGTERM): what a gateway that is draining does with connections.</summary>
public class DrainTests
{
    /// <summary>
    /// Found by the chaos soak (bench/Gatehouse.Chaos): after SIGTERM, Kestrel accepts connections
    /// until its listener is unbound. A client whose connection got GOAWAY reconnects at once and
    /// lands in that window; its new connection was never told to go away, so its calls reached a
    /// gateway whose services had already left (UNKNOWN_COMMAND, hundreds of thousands of them)
    /// and kept the shutdown waiting for the whole drain timeout.
    /// </summary>
    [Fact]
    public async Task A_connection_accepted_after_the_drain_began_is_sent_goaway_and_does_not_hold_the_shutdown()
    {
        var gateway = await TestGateway.StartAsync();
        await using var _ = gateway;
        var identity = gateway.Authorize("late", PeerRoles.Client);

        // The drain begins; the listener is still open (as in the moment before Kestrel unbinds it).
        gateway.Server.BeginDrain();
        var late = gateway.Client(identity, new ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 });

        // The late connection serves nothing. Depending on timing the call sees GOAWAY before or
        // after its request leaves (SHUTTING_DOWN), or the connection already closed under it.
        string outcome;
        bool served;
        try
        {
            var result = await late.CallAsync(new CallRequest("whoami") { Domain = "gatehouse" }).WaitAsync(TimeSpan.FromSeconds(10));
            served = result.Succeeded;
            outcome = result.Status.ToString();
        }
        catch (Exception ex) when (ex is ConnectionClosedException or ConnectException)
        {
            served = false;
            outcome = $"{ex.GetType().Name}: {ex.Message}";
        }

        Assert.False(served, $"a connection accepted while draining served a call: {outcome}");

        // Nothing holds the shutdown open: it ends long before the drain timeout (5 s here).
        var clock = Stopwatch.StartNew();
        await gateway.Server.StopAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"stop took {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
