using Gatehouse.Client;
using Gatehouse.Client.Fanout;
using Gatehouse.Protocol;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;
using Xunit.Abstractions;

namespace Gatehouse.Fanout.Tests;

/// <summary>
/// The single-gateway client and the fan-out client follow the same <see cref="RetryPolicy"/>:
/// the same failures retried, the same give-up count, the same backoff delays on the injected clock.
/// Each test runs its scenario through both clients.
/// </summary>
public class SharedRetryPolicyTests(ITestOutputHelper output)
{
    private static readonly ConnectionOptions Retries = new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        MaxRetries = 4,
        InitialBackoff = TimeSpan.FromSeconds(10),
        MaxBackoff = TimeSpan.FromSeconds(60),
    };

    public enum Kind { Single, Fanout }

    /// <summary>What one call through either client came to.</summary>
    private sealed record Outcome(CallStatus? Status, ConnectFailure? ConnectFailure, TimeSpan Elapsed);

    /// <summary>Calls <paramref name="node"/> through a client of <paramref name="kind"/> on <paramref name="clock"/>, driving the clock.</summary>
    private static async Task<Outcome> CallAsync(Kind kind, PeerIdentity identity, FanoutNode node, CallRequest request, DrivenClock clock, Func<Endpoint, Fingerprint?>? pins = null)
    {
        long started = clock.GetTimestamp();
        if (kind == Kind.Single)
        {
            await using var client = new GatehouseClient(node.Endpoint, new ClientOptions
            {
                Identity = identity,
                Pins = pins ?? (node.Pin is { } pin ? ClientOptions.PinTo(pin) : _ => null),
                Connection = Retries,
                TimeProvider = clock,
            });
            try
            {
                var result = await clock.DriveAsync(client.CallAsync(request));
                return new Outcome(result.Status, null, clock.GetElapsedTime(started));
            }
            catch (ConnectException ex)
            {
                return new Outcome(null, ex.Failure, clock.GetElapsedTime(started));
            }
        }

        await using var fanout = new FanoutClient(new FanoutClientOptions
        {
            Identity = identity,
            Pins = pins ?? (_ => null),
            Connection = Retries,
            TimeProvider = clock,
        });
        var r = await clock.DriveAsync(fanout.CallAsync(node, request));
        Assert.Equal(r.Elapsed, clock.GetElapsedTime(started));
        Assert.Equal(1 + clock.Waits.Count, r.Attempts);
        return r.Result is { } res
            ? new Outcome(res.Status, null, r.Elapsed)
            : new Outcome(null, r.Failure switch
            {
                NodeFailure.Refused => ConnectFailure.Refused,
                NodeFailure.NotTrusted => ConnectFailure.NotTrusted,
                NodeFailure.FingerprintMismatch => ConnectFailure.FingerprintMismatch,
                _ => throw new InvalidOperationException($"unexpected {r}"),
            }, r.Elapsed);
    }

    /// <summary>Each wait is retry n's jittered backoff: within [d/2, d], d = min(max, initial × 2^n).</summary>
    private void AssertBackoff(List<TimeSpan> waits)
    {
        output.WriteLine("waits (fake clock): " + string.Join(", ", waits.Select(w => $"{w.TotalSeconds:0.###} s")));
        for (int i = 0; i < waits.Count; i++)
        {
            double ceiling = Math.Min(Retries.MaxBackoff.TotalMilliseconds, Retries.InitialBackoff.TotalMilliseconds * Math.Pow(2, i));
            Assert.InRange(waits[i].TotalMilliseconds, ceiling / 2, ceiling);
        }
    }

    [Theory]
    [InlineData(Kind.Single)]
    [InlineData(Kind.Fanout)]
    public async Task A_refused_gateway_is_tried_one_plus_max_retries_times_with_backoff_then_given_up(Kind kind)
    {
        var clock = new DrivenClock();
        using var admin = PeerIdentity.CreateEphemeral("admin");
        var node = new FanoutNode("down", ClosedPort.Get(), admin.Fingerprint);

        var outcome = await CallAsync(kind, admin, node, new CallRequest("anything"), clock);

        Assert.Equal(ConnectFailure.Refused, outcome.ConnectFailure);
        Assert.Equal(Retries.MaxRetries, clock.Waits.Count);
        AssertBackoff(clock.Waits);
        // The whole call took exactly the backoff waits on the fake clock: nothing slept for real in between.
        Assert.Equal(clock.Waits.Aggregate(TimeSpan.Zero, (a, b) => a + b), outcome.Elapsed);
    }

    [Theory]
    [InlineData(Kind.Single)]
    [InlineData(Kind.Fanout)]
    public async Task A_gateway_with_no_pinned_fingerprint_is_not_retried(Kind kind)
    {
        var clock = new DrivenClock();
        using var admin = PeerIdentity.CreateEphemeral("admin");
        var node = new FanoutNode("unpinned", ClosedPort.Get());

        var outcome = await CallAsync(kind, admin, node, new CallRequest("anything"), clock, pins: _ => null);

        Assert.Equal(ConnectFailure.NotTrusted, outcome.ConnectFailure);
        Assert.Empty(clock.Waits);
    }

    [Theory]
    [InlineData(Kind.Single)]
    [InlineData(Kind.Fanout)]
    public async Task Statuses_are_retried_only_when_the_request_cannot_have_run_or_is_idempotent(Kind kind)
    {
        int drainingLeft = 2;
        await using var servers = await TestNodes.StartAsync(3, i => i switch
        {
            0 => _ => throw new CommandException(ErrorCode.BackendFailed, "backend crashed"),
            1 => async ctx =>
            {
                if (Interlocked.Decrement(ref drainingLeft) >= 0)
                {
                    throw new CommandException(ErrorCode.ShuttingDown, "draining");
                }

                await ctx.WriteAsync("done");
                return 0;
            },
            _ => async ctx => { await ctx.WriteAsync("partial"); return 3; },
        });
        var work = new CallRequest(TestNodes.Command) { Domain = TestNodes.Domain };
        var (crashing, draining, exiting) = (servers.Nodes[0], servers.Nodes[1], servers.Nodes[2]);

        // BACKEND_FAILED may mean the command ran: one attempt only...
        var clock = new DrivenClock();
        var once = await CallAsync(kind, servers.Admin, crashing, work, clock);
        Assert.Equal(ErrorCode.BackendFailed, once.Status!.Value.ErrorCode);
        Assert.Equal(1, servers.Requests(0));
        Assert.Empty(clock.Waits);

        // ...unless the request is idempotent: then 1 + MaxRetries attempts, with backoff.
        clock = new DrivenClock();
        var idempotent = await CallAsync(kind, servers.Admin, crashing, work with { Idempotent = true }, clock);
        Assert.Equal(ErrorCode.BackendFailed, idempotent.Status!.Value.ErrorCode);
        Assert.Equal(1 + 1 + Retries.MaxRetries, servers.Requests(0));
        Assert.Equal(Retries.MaxRetries, clock.Waits.Count);
        AssertBackoff(clock.Waits);

        // SHUTTING_DOWN before any output means "not processed": retried even when not idempotent.
        clock = new DrivenClock();
        var drained = await CallAsync(kind, servers.Admin, draining, work, clock);
        Assert.True(drained.Status!.Value.IsSuccess, drained.ToString());
        Assert.Equal(3, servers.Requests(1));
        Assert.Equal(2, clock.Waits.Count);
        AssertBackoff(clock.Waits);

        // An exit status (even non-zero) and an error the gateway gives itself are final.
        clock = new DrivenClock();
        var exited = await CallAsync(kind, servers.Admin, exiting, work with { Idempotent = true }, clock);
        Assert.Equal(StatusKind.Exit, exited.Status!.Value.Kind);
        Assert.Equal(3, exited.Status!.Value.Code);
        Assert.Equal(1, servers.Requests(2));
        var unknown = await CallAsync(kind, servers.Admin, exiting, new CallRequest("nope") { Domain = TestNodes.Domain, Idempotent = true }, clock);
        Assert.Equal(ErrorCode.UnknownCommand, unknown.Status!.Value.ErrorCode);
        Assert.Empty(clock.Waits);
    }
}
