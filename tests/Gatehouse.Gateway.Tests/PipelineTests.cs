using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Backends;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Tests;

/// <summary>The request pipeline: each target kind, authorization, and exactly one status whatever happens.</summary>
public sealed class PipelineTests
{
    private static async Task<T> Within<T>(Task<T> task) => await task.WaitAsync(TimeSpan.FromSeconds(20));

    private static async Task Within(Task task) => await task.WaitAsync(TimeSpan.FromSeconds(20));

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, what);
            await Task.Delay(10);
        }
    }

    /// <summary>Everything a request held is given back: principal slots, in-flight count, route leases.</summary>
    private static async Task AssertIdle(PipelineHarness h, params string[] principals)
    {
        await Eventually(() => h.Runtime.GetStatus().InFlight == 0, "requests still counted in flight");
        foreach (var p in principals)
        {
            Assert.Equal(0, h.Runtime.LoadOf(p).InFlight);
        }

        Assert.All(h.Runtime.Routes.Snapshot().SelectMany(r => r.Services), b => Assert.Equal(0, b.Outstanding));
    }

    private static Func<MuxStream, Task> Answer(string stdout, int exit) => async s =>
    {
        await s.WriteAsync(1, System.Text.Encoding.UTF8.GetBytes(stdout));
        s.Complete(CallStatus.Exit(exit));
    };

    [Fact]
    public async Task A_control_command_is_answered_by_the_gateway_itself()
    {
        await using var h = PipelineHarness.Create();
        var (alice, _) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        var (stdout, status) = await PipelineHarness.CallAsync(alice, RequestHeader.ControlDomain, "whoami");
        Assert.Equal(CallStatus.Exit(0), status);
        Assert.StartsWith("alice roles=client", stdout, StringComparison.Ordinal);

        (_, status) = await PipelineHarness.CallAsync(alice, RequestHeader.ControlDomain, "status");
        Assert.Equal(ErrorCode.Access, status.ErrorCode);
        await AssertIdle(h, "alice");
    }

    [Fact]
    public async Task A_request_for_an_attached_service_is_relayed_with_the_callers_identity_and_not_a_forged_one()
    {
        await using var h = PipelineHarness.Create();
        RequestHeader? seen = null;
        await h.AttachServiceAsync("hr", "who", 4, s =>
        {
            seen = s.Header;
            return Answer("ok\n", 3)(s);
        });
        var (alice, session) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        var (stdout, status) = await PipelineHarness.CallAsync(alice, "hr", "who", ["x"], metadata: [new("REMOTE_USER", "root"), new("GATEHOUSE_FINGERPRINT", "forged"), new("trace", "t1")]);

        Assert.Equal(CallStatus.Exit(3), status);
        Assert.Equal("ok\n", stdout);
        Assert.NotNull(seen);
        Assert.Equal("alice", seen.GetMetadata("REMOTE_USER"));
        Assert.Equal(session.FingerprintText, seen.GetMetadata("GATEHOUSE_FINGERPRINT"));
        Assert.Equal("t1", seen.GetMetadata("trace"));
        Assert.Single(seen.Metadata, m => m.Key == "REMOTE_USER");
        Assert.Equal(1, session.Requests);
        await AssertIdle(h, "alice");
    }

    [Fact]
    public async Task A_request_with_a_deadline_takes_the_waiting_path_and_is_relayed_with_the_time_left()
    {
        await using var h = PipelineHarness.Create();
        uint forwardedDeadline = 0;
        await h.AttachServiceAsync("hr", "who", 4, s =>
        {
            forwardedDeadline = s.Header.DeadlineMs;
            return Answer("late-ok\n", 0)(s);
        });
        var (alice, _) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        var (stdout, status) = await PipelineHarness.CallAsync(alice, "hr", "who", deadlineMs: 30_000);
        Assert.Equal(CallStatus.Exit(0), status);
        Assert.Equal("late-ok\n", stdout);
        Assert.InRange(forwardedDeadline, 1u, 30_000u);
        await AssertIdle(h, "alice");
    }

    [Fact]
    public async Task A_silent_service_past_the_deadline_gives_the_caller_one_deadline_status_and_is_cancelled()
    {
        await using var h = PipelineHarness.Create();
        var cancelled = new TaskCompletionSource<ErrorCode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await h.AttachServiceAsync("hr", "slow", 4, async s =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, s.Aborted);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult(s.CancelCode);
                s.Complete(CallStatus.Error(ErrorCode.Cancelled));
            }
        });
        var (alice, _) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        var (_, status) = await PipelineHarness.CallAsync(alice, "hr", "slow", deadlineMs: 300);
        Assert.Equal(ErrorCode.DeadlineExceeded, status.ErrorCode);
        Assert.Equal(ErrorCode.DeadlineExceeded, await Within(cancelled.Task));
        await AssertIdle(h, "alice");
    }

    [Fact]
    public async Task A_configured_backend_serves_what_no_service_does_and_exec_runs_for_real()
    {
        string dir = Directory.CreateTempSubdirectory("gatehouse-conf-").FullName;
        try
        {
            string conf = Path.Combine(dir, "remctl.conf");
            File.WriteAllText(conf, "hello greet /bin/echo ANYUSER\n");
            await using var h = PipelineHarness.Create();
            await using var backend = new CommandsBackend(conf, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, h.Runtime.Processes);
            h.Runtime.AddBackend(backend);
            var (alice, _) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
            var (stdout, status) = await PipelineHarness.CallAsync(alice, RequestHeader.DefaultDomain, "hello", ["greet", "world"]);
            Assert.Equal(CallStatus.Exit(0), status);
            Assert.Equal("greet world\n", stdout);

            // An attached service for the same command comes first.
            await h.AttachServiceAsync(RequestHeader.DefaultDomain, "hello", 1, Answer("from service\n", 0));
            (stdout, _) = await PipelineHarness.CallAsync(alice, RequestHeader.DefaultDomain, "hello", ["greet"]);
            Assert.Equal("from service\n", stdout);
            await AssertIdle(h, "alice");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_caller_without_the_client_role_or_the_domain_is_refused_whether_or_not_anything_serves_it()
    {
        await using var h = PipelineHarness.Create();
        await h.AttachServiceAsync("hr", "who", 4, Answer("secret\n", 0));
        var (svcOnly, _) = await h.ConnectAsync(PipelineHarness.Grant("worker", PeerRoles.Service));
        var (status1, status2) = (await PipelineHarness.CallAsync(svcOnly, "hr", "who"), await PipelineHarness.CallAsync(svcOnly, "nothing", "here"));
        Assert.Equal(ErrorCode.Access, status1.Status.ErrorCode);
        Assert.Contains("client role", status1.Status.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.Access, status2.Status.ErrorCode);
        Assert.Empty(status1.Stdout);

        var (payroll, _) = await h.ConnectAsync(PipelineHarness.Grant("bob", PeerRoles.Client, "payroll"));
        var (_, status) = await PipelineHarness.CallAsync(payroll, "hr", "who");
        Assert.Equal(ErrorCode.Access, status.ErrorCode);
        Assert.Contains("may not call domain 'hr'", status.Message, StringComparison.Ordinal);
        (_, status) = await PipelineHarness.CallAsync(payroll, "payroll", "missing");
        Assert.Equal(ErrorCode.UnknownCommand, status.ErrorCode);
        await AssertIdle(h, "worker", "bob");
    }

    [Fact]
    public async Task A_backend_that_throws_ends_its_request_with_one_internal_error_and_gives_everything_back()
    {
        await using var h = PipelineHarness.Create();
        h.Runtime.AddBackend(new FaultyBackend(_ => throw new InvalidOperationException("injected backend fault")));
        var (_, session) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        var request = RecordingRequest.For(session.Caller, "faulty", "x");
        await Within(h.Pipeline.ExecuteAsync(request));
        Assert.Equal(ErrorCode.Internal, (await request.Answered).ErrorCode);
        Assert.Equal(1, request.StatusesSent);
        await AssertIdle(h, "alice");
    }

    [Fact]
    public async Task A_target_that_finds_the_callers_connection_gone_is_not_an_internal_error()
    {
        // Seen: a gateway shutting down while another member's cluster-exchange wrote its reply
        // logged "failed inside the gateway" (ConnectionClosedException) and answered INTERNAL.
        await using var h = PipelineHarness.Create();
        RecordingRequest? request = null;
        h.Runtime.AddBackend(new FaultyBackend(_ =>
        {
            request!.Abort(); // the caller's connection closes...
            throw new ConnectionClosedException("Connection disposed"); // ...under the target's write
        }));
        var (_, session) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        request = RecordingRequest.For(session.Caller, "faulty", "x");
        await Within(h.Pipeline.ExecuteAsync(request));
        Assert.Equal(ErrorCode.Cancelled, (await request.Answered).ErrorCode);
        Assert.Equal(1, request.StatusesSent);
        await AssertIdle(h, "alice");
    }

    [Fact]
    public async Task A_caller_that_cancels_gets_one_cancelled_status_and_the_backend_sees_the_cancellation()
    {
        await using var h = PipelineHarness.Create();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Runtime.AddBackend(new FaultyBackend(async ct =>
        {
            running.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                sawCancel.TrySetResult();
            }

            return CallStatus.Exit(0);
        }));
        var (_, session) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        var request = RecordingRequest.For(session.Caller, "faulty", "x");
        var run = h.Pipeline.ExecuteAsync(request);
        await Within(running.Task.ContinueWith(_ => 0, TaskScheduler.Default));
        request.Abort();
        await Within(run);
        await Within(sawCancel.Task.ContinueWith(_ => 0, TaskScheduler.Default));
        Assert.Equal(ErrorCode.Cancelled, (await request.Answered).ErrorCode);
        Assert.Equal(1, request.StatusesSent);
        await AssertIdle(h, "alice");
    }

    [Fact]
    public async Task A_backend_past_the_deadline_is_answered_at_the_deadline_once_even_if_it_ends_later()
    {
        await using var h = PipelineHarness.Create();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Runtime.AddBackend(new FaultyBackend(async _ =>
        {
            await release.Task; // ignores cancellation: ends only when the test says
            return CallStatus.Exit(0);
        }));
        var (_, session) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        var request = RecordingRequest.For(session.Caller, "faulty", "x", deadlineMs: 200);
        var run = h.Pipeline.ExecuteAsync(request);
        Assert.Equal(ErrorCode.DeadlineExceeded, (await Within(request.Answered)).ErrorCode);
        Assert.False(run.IsCompleted, "the request ended before its backend did");
        Assert.Equal(1, h.Runtime.LoadOf("alice").InFlight); // still held while the backend runs
        release.SetResult();
        await Within(run);
        Assert.Equal(1, request.StatusesSent);
        await AssertIdle(h, "alice");
    }

    [Fact]
    public async Task A_service_that_drops_its_connection_mid_request_ends_the_request_with_one_failure()
    {
        await using var h = PipelineHarness.Create();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (service, _) = await h.AttachServiceAsync("hr", "hang", 4, s =>
        {
            started.TrySetResult();
            return Task.CompletedTask; // never answers
        });
        var (alice, _) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        var stream = await alice.OpenStreamAsync(new RequestHeader { Domain = "hr", Command = "hang" }, endStream: true);
        await Within(started.Task.ContinueWith(_ => 0, TaskScheduler.Default));
        await service.DisposeAsync();
        var (_, status) = await PipelineHarness.ReadAllAsync(stream);
        Assert.True(status.IsError, status.ToString());
        await AssertIdle(h, "alice");
    }

    [Fact]
    public async Task A_principal_over_its_request_cap_is_refused_as_overloaded_and_admitted_again_once_under()
    {
        await using var h = PipelineHarness.Create(o => o with { Limits = o.Limits with { MaxRequestsPerPrincipal = 1 } });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Runtime.AddBackend(new FaultyBackend(async _ =>
        {
            await release.Task;
            return CallStatus.Exit(0);
        }));
        var (_, session) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        var first = RecordingRequest.For(session.Caller, "faulty", "x");
        var run = h.Pipeline.ExecuteAsync(first);
        await Eventually(() => h.Runtime.LoadOf("alice").InFlight == 1, "first request not admitted");
        var second = RecordingRequest.For(session.Caller, "faulty", "x");
        await Within(h.Pipeline.ExecuteAsync(second));
        Assert.Equal(ErrorCode.Overloaded, (await second.Answered).ErrorCode);
        Assert.Equal(1, second.StatusesSent);
        release.SetResult();
        await Within(run);
        Assert.Equal(CallStatus.Exit(0), await first.Answered);
        var third = RecordingRequest.For(session.Caller, "faulty", "x");
        await Within(h.Pipeline.ExecuteAsync(third));
        Assert.Equal(CallStatus.Exit(0), await third.Answered);
        await AssertIdle(h, "alice");
    }

    [Fact]
    public async Task Requests_to_a_busy_service_queue_and_each_gets_its_own_answer()
    {
        await using var h = PipelineHarness.Create();
        int concurrent = 0, peak = 0;
        await h.AttachServiceAsync("hr", "count", 2, async s =>
        {
            int now = Interlocked.Increment(ref concurrent);
            InterlockedMax(ref peak, now);
            await Task.Delay(20);
            Interlocked.Decrement(ref concurrent);
            await s.WriteAsync(1, System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(s.Header.Arguments[0].Span)));
            s.Complete(CallStatus.Exit(0));
        });
        var (alice, _) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        var calls = Enumerable.Range(0, 20).Select(i => PipelineHarness.CallAsync(alice, "hr", "count", [i.ToString(System.Globalization.CultureInfo.InvariantCulture)])).ToArray();
        var results = await Within(Task.WhenAll(calls));
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(CallStatus.Exit(0), results[i].Status);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), results[i].Stdout);
        }

        Assert.InRange(peak, 1, 2);
        await AssertIdle(h, "alice");
    }

    [Fact]
    public async Task A_relayed_reply_of_many_windows_arrives_intact_and_in_order()
    {
        const int chunk = 10_000;
        const int chunks = 500;
        await using var h = PipelineHarness.Create();
        await h.AttachServiceAsync("bulk", "get", 1, async s =>
        {
            var data = new byte[chunk];
            for (int i = 0; i < chunks; i++)
            {
                data.AsSpan().Fill((byte)i);
                await s.WriteAsync(1, data);
            }

            s.Complete(CallStatus.Exit(0));
        });
        var (alice, _) = await h.ConnectAsync(PipelineHarness.Grant("alice", PeerRoles.Client));
        var stream = await alice.OpenStreamAsync(new RequestHeader { Domain = "bulk", Command = "get" }, endStream: true);
        long received = 0;
        while (true)
        {
            var item = await stream.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            if (item.Kind == StreamEventKind.Status)
            {
                Assert.Equal(CallStatus.Exit(0), item.Status);
                break;
            }

            var span = item.Data.Span;
            for (int i = 0; i < span.Length; i++)
            {
                Assert.Equal((byte)((received + i) / chunk), span[i]);
            }

            received += span.Length;
            stream.Release(item);
        }

        Assert.Equal((long)chunk * chunks, received);
        await AssertIdle(h, "alice");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    /// <summary>A backend for domain <c>faulty</c> whose behaviour the test gives.</summary>
    private sealed class FaultyBackend(Func<CancellationToken, Task<CallStatus>> run) : ICommandBackend
    {
        public bool Handles(string domain, string command) => domain == "faulty";

        public Task<CallStatus> ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken) => run(cancellationToken);

        public string? Reload() => null;
    }
}
