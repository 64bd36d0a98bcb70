using Gatehouse.Client;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Xunit.Abstractions;

namespace Gatehouse.Fanout.Tests;

/// <summary>The one retry policy's loop and rules, on a fake clock: no real sleeping.</summary>
public class RetryPolicyTests(ITestOutputHelper output)
{
    private static readonly ConnectionOptions Options = new()
    {
        MaxRetries = 8,
        InitialBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromSeconds(2),
    };

    /// <summary>Runs an always-refused operation to exhaustion; returns the fake-clock gaps between attempts.</summary>
    private static async Task<(List<TimeSpan> Delays, int Attempts, Exception Final)> RunRefusedAsync(ConnectionOptions options, int seed)
    {
        var clock = new DrivenClock();
        var policy = new RetryPolicy(options, clock, new Random(seed));
        var times = new List<DateTimeOffset>();
        var run = policy.RunAsync<int>((attempt, _) =>
        {
            times.Add(clock.GetUtcNow());
            return Task.FromException<int>(new ConnectException(ConnectFailure.Refused, $"refused #{attempt}"));
        });
        var final = await Assert.ThrowsAsync<ConnectException>(() => clock.DriveAsync(run));
        var delays = times.Zip(times.Skip(1), (a, b) => b - a).ToList();
        return (delays, times.Count, final);
    }

    [Fact]
    public async Task Delays_grow_exponentially_stay_under_the_maximum_and_stop_after_max_retries()
    {
        var (delays, attempts, final) = await RunRefusedAsync(Options, seed: 1);
        output.WriteLine("delays (fake clock): " + string.Join(", ", delays.Select(d => $"{d.TotalMilliseconds:0.#} ms")));

        Assert.Equal(1 + Options.MaxRetries, attempts);
        Assert.Equal("refused #8", final.Message);
        Assert.Equal(Options.MaxRetries, delays.Count);
        for (int i = 0; i < delays.Count; i++)
        {
            double ceiling = Math.Min(Options.MaxBackoff.TotalMilliseconds, Options.InitialBackoff.TotalMilliseconds * Math.Pow(2, i));
            Assert.InRange(delays[i].TotalMilliseconds, ceiling / 2, ceiling);
            Assert.True(delays[i] <= Options.MaxBackoff, $"delay {i} = {delays[i]} exceeds the maximum");
        }

        // Exponential: while uncapped the ceiling doubles and jitter spans only [ceiling/2, ceiling],
        // so each delay is at least the previous one, and two steps on at least twice as long.
        for (int i = 0; i + 1 < delays.Count && Options.InitialBackoff * Math.Pow(2, i + 1) <= Options.MaxBackoff; i++)
        {
            Assert.True(delays[i + 1] >= delays[i], $"delay {i + 1} ({delays[i + 1]}) is shorter than delay {i} ({delays[i]})");
            if (i + 2 < delays.Count && Options.InitialBackoff * Math.Pow(2, i + 2) <= Options.MaxBackoff)
            {
                Assert.True(delays[i + 2] >= delays[i] * 2, $"delay {i + 2} ({delays[i + 2]}) is not at least twice delay {i} ({delays[i]})");
            }
        }

        Assert.True(delays[^1] > delays[0] * 8, "the last delay should be far above the first");
    }

    [Fact]
    public async Task Delays_are_jittered_across_seeds()
    {
        var runs = new List<List<TimeSpan>>();
        for (int seed = 1; seed <= 5; seed++)
        {
            runs.Add((await RunRefusedAsync(Options, seed)).Delays);
            output.WriteLine($"seed {seed}: " + string.Join(", ", runs[^1].Select(d => $"{d.TotalMilliseconds:0.#}")));
        }

        for (int i = 0; i < Options.MaxRetries; i++)
        {
            Assert.True(runs.Select(r => r[i]).Distinct().Count() > 1, $"retry {i} waited the same time in every run");
        }

        // Jitter also spreads the capped delays: they are not all exactly the maximum.
        Assert.Contains(runs.SelectMany(r => r.TakeLast(3)), d => d < Options.MaxBackoff);
    }

    [Fact]
    public async Task Zero_max_retries_means_one_attempt()
    {
        var (delays, attempts, _) = await RunRefusedAsync(Options with { MaxRetries = 0 }, seed: 3);
        Assert.Equal(1, attempts);
        Assert.Empty(delays);
    }

    [Fact]
    public async Task Failures_that_would_only_repeat_are_not_retried()
    {
        var clock = new DrivenClock();
        var policy = new RetryPolicy(Options, clock);
        int attempts = 0;
        var run = policy.RunAsync<int>((_, _) =>
        {
            attempts++;
            return Task.FromException<int>(new ConnectException(ConnectFailure.FingerprintMismatch, "wrong key"));
        });
        await Assert.ThrowsAsync<ConnectException>(() => clock.DriveAsync(run));
        Assert.Equal(1, attempts);
        Assert.False(clock.TimerCreated.TryRead(out _), "no backoff timer may be started");
    }

    [Fact]
    public async Task Rejected_results_are_retried_until_accepted()
    {
        var clock = new DrivenClock();
        var policy = new RetryPolicy(Options, clock, new Random(7));
        var events = new List<RetryEvent>();
        var run = policy.RunAsync((attempt, _) => Task.FromResult(attempt), r => r < 2, events.Add);
        Assert.Equal(2, await clock.DriveAsync(run));
        Assert.Equal([1, 2], events.Select(e => e.Attempt));
        Assert.All(events, e => Assert.Null(e.Cause));
        // The waits on the clock are the announced delays (the timer keeps whole milliseconds).
        Assert.Equal(events.Select(e => Math.Floor(e.Delay.TotalMilliseconds)), clock.Waits.Select(w => w.TotalMilliseconds));
    }

    [Fact]
    public async Task Cancellation_during_a_backoff_wait_stops_the_loop()
    {
        var clock = new DrivenClock();
        var policy = new RetryPolicy(Options, clock);
        using var cts = new CancellationTokenSource();
        var run = policy.RunAsync<int>((_, _) => Task.FromException<int>(new ConnectException(ConnectFailure.Timeout, "slow")), cancellationToken: cts.Token);
        await clock.TimerCreated.ReadAsync();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Theory]
    [InlineData(ConnectFailure.Refused, true)]
    [InlineData(ConnectFailure.Timeout, true)]
    [InlineData(ConnectFailure.Network, true)]
    [InlineData(ConnectFailure.Unresolved, true)]
    [InlineData(ConnectFailure.FingerprintMismatch, false)]
    [InlineData(ConnectFailure.NotTrusted, false)]
    [InlineData(ConnectFailure.Rejected, false)]
    [InlineData(ConnectFailure.Tls, false)]
    [InlineData(ConnectFailure.Protocol, false)]
    public void Only_transient_connect_failures_are_retried(ConnectFailure failure, bool retried)
    {
        Assert.Equal(retried, RetryPolicy.ShouldRetry(new ConnectException(failure, "x")));
    }

    [Fact]
    public void A_connection_closed_before_the_request_left_is_retried_other_exceptions_are_not()
    {
        Assert.True(RetryPolicy.ShouldRetry(new ConnectionClosedException(CallStatus.Error(ErrorCode.ShuttingDown))));
        Assert.False(RetryPolicy.ShouldRetry(new InvalidOperationException()));
        Assert.False(RetryPolicy.ShouldRetry(new OperationCanceledException()));
        Assert.False(RetryPolicy.ShouldRetry(new TimeoutException()));
    }

    /// <summary>Final statuses: only "not processed", and "lost mid-call" for idempotent requests.</summary>
    [Theory]
    [InlineData(ErrorCode.ShuttingDown, false, false, true)]   // draining, took nothing: never ran
    [InlineData(ErrorCode.ShuttingDown, true, true, false)]    // output came: it ran
    [InlineData(ErrorCode.BackendFailed, false, false, false)] // may have run: not without idempotent
    [InlineData(ErrorCode.BackendFailed, false, true, true)]
    [InlineData(ErrorCode.BackendFailed, true, true, true)]
    [InlineData(ErrorCode.Unavailable, false, true, false)]
    [InlineData(ErrorCode.Overloaded, false, true, false)]
    [InlineData(ErrorCode.RefusedStream, false, true, false)]
    [InlineData(ErrorCode.DeadlineExceeded, false, true, false)]
    [InlineData(ErrorCode.Cancelled, false, true, false)]
    [InlineData(ErrorCode.Access, false, true, false)]
    [InlineData(ErrorCode.UnknownCommand, false, true, false)]
    [InlineData(ErrorCode.Internal, false, true, false)]
    public void Error_statuses_are_retried_only_when_the_request_cannot_have_run_or_is_idempotent(ErrorCode code, bool anyOutput, bool idempotent, bool retried)
    {
        Assert.Equal(retried, RetryPolicy.ShouldRetry(CallStatus.Error(code), anyOutput, idempotent));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    public void Exit_statuses_are_never_retried(int exitCode)
    {
        Assert.False(RetryPolicy.ShouldRetry(CallStatus.Exit(exitCode), anyOutput: false, idempotent: true));
    }
}
