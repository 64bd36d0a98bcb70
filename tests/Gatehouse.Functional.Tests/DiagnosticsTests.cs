using System.Globalization;
using System.Net;
using Gatehouse.Client;
using Gatehouse.Gateway;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Observability;
using Gatehouse.Protocol;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// Issue 16, metrics and health: the diagnostics listener's /metrics (Prometheus text format),
/// /healthz and /readyz. (A real Prometheus server scraping a gateway process: Cli's
/// PrometheusScrapeTests.)
/// </summary>
public sealed class DiagnosticsTests
{
    private static Task<TestGateway> StartAsync(Func<GatewayOptions, GatewayOptions>? more = null, Action<GatewayRuntime>? runtime = null) =>
        TestGateway.StartAsync(o => (more ?? (x => x))(o with { DiagnosticsListen = "127.0.0.1:0" }), runtime);

    private static HttpClient Http(TestGateway gw) => new() { BaseAddress = new Uri($"http://{gw.Server.DiagnosticsEndpoint}/"), Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The value of the sample <paramref name="name"/> with exactly <paramref name="labels"/> (in order), or null.</summary>
    private static double? Sample(string exposition, string name, string labels)
    {
        string prefix = labels.Length == 0 ? name + " " : $"{name}{{{labels}}} ";
        string? line = exposition.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Metrics_count_requests_by_command_and_outcome_and_time_them_in_prometheus_format()
    {
        await using var gw = await StartAsync();
        await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service, "test"), s => s
            .Map("test", "echo", async ctx => { await ctx.WriteAsync(string.Join(' ', ctx.Args)); return ctx.Args.Count; }));
        await using var client = gw.Client(gw.Authorize("alice", PeerRoles.Client, "test"));
        using var http = Http(gw);
        string before = await http.GetStringAsync("metrics"); // the service's registration is a request too
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(CallStatus.Exit(0), (await client.CallAsync(new CallRequest("echo") { Domain = "test" })).Status);
        }

        Assert.Equal(CallStatus.Exit(2), (await client.CallAsync(new CallRequest("echo", "ab", "cd") { Domain = "test" })).Status);
        Assert.Equal(ErrorCode.UnknownCommand, (await client.CallAsync(new CallRequest("nope") { Domain = "test" })).Status.ErrorCode);

        // The gateway records a request just after sending its final status (the answer does not wait
        // for the bookkeeping), so the last call may still be on its way into the counters: wait for it.
        async Task<string> ScrapeAsync()
        {
            var response = await http.GetAsync("metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            return await response.Content.ReadAsStringAsync();
        }

        bool Settled(string t) =>
            Sample(t, "gatehouse_requests_total", "front_door=\"native\",domain=\"-\",command=\"-\",outcome=\"unknown_command\"") is not null
            && Sample(t, "gatehouse_requests_in_flight", string.Empty) == 0;

        string text = await ScrapeAsync();
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); !Settled(text) && clock.Elapsed < TimeSpan.FromSeconds(10);)
        {
            await Task.Delay(20);
            text = await ScrapeAsync();
        }

        Assert.Equal(5, Sample(text, "gatehouse_requests_total", "front_door=\"native\",domain=\"test\",command=\"echo\",outcome=\"ok\""));
        Assert.Equal(1, Sample(text, "gatehouse_requests_total", "front_door=\"native\",domain=\"test\",command=\"echo\",outcome=\"exit\""));
        Assert.Equal(1, Sample(text, "gatehouse_requests_total", "front_door=\"native\",domain=\"-\",command=\"-\",outcome=\"unknown_command\""));
        Assert.Contains("# TYPE gatehouse_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE gatehouse_request_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Equal(6, Sample(text, "gatehouse_request_duration_seconds_count", "front_door=\"native\",target=\"service\""));
        Assert.Equal(6, Sample(text, "gatehouse_request_duration_seconds_bucket", "front_door=\"native\",target=\"service\",le=\"+Inf\""));
        Assert.Equal(4, Sample(text, "gatehouse_relayed_bytes_total", "direction=\"in\"") - Sample(before, "gatehouse_relayed_bytes_total", "direction=\"in\"")); // "ab" "cd"
        Assert.Equal(5, Sample(text, "gatehouse_relayed_bytes_total", "direction=\"out\"") - Sample(before, "gatehouse_relayed_bytes_total", "direction=\"out\"")); // "ab cd"
        Assert.Equal(1, Sample(text, "gatehouse_requests_total", "front_door=\"native\",domain=\"gatehouse\",command=\"register\",outcome=\"ok\""));
        Assert.Equal(0, Sample(text, "gatehouse_requests_in_flight", string.Empty));
        Assert.Equal(1, Sample(text, "gatehouse_routes", string.Empty));
        Assert.True(Sample(text, "gatehouse_tls_handshakes_total", string.Empty) >= 2);
        Assert.Equal(1, Sample(text, "gatehouse_cluster_members", "state=\"alive\""));
        Assert.Equal(1, Sample(text, "gatehouse_cluster_registry_up", "registry=\"gossip\""));
        Assert.NotNull(Sample(text, "process_cpu_seconds_total", string.Empty));
    }

    [Fact]
    public async Task Gauges_go_back_to_zero_when_what_they_count_is_gone()
    {
        await using var gw = await StartAsync();
        using var http = Http(gw);
        var client = gw.Client(gw.Authorize("alice", PeerRoles.Client));
        await client.CallAsync(new CallRequest("nothing"));
        string during = await http.GetStringAsync("metrics");
        Assert.Equal(1, Sample(during, "gatehouse_connections", "role=\"client\""));
        await client.DisposeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!gw.Server.Runtime.Sessions.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        string after = await http.GetStringAsync("metrics");
        Assert.Equal(0, Sample(after, "gatehouse_connections", "role=\"client\""));
        Assert.Equal(0, Sample(after, "gatehouse_cluster_members", "state=\"dead\""));
        Assert.Equal(1, Sample(after, "gatehouse_cluster_members", "state=\"alive\""));
    }

    [Fact]
    public async Task Made_up_command_names_do_not_become_label_values()
    {
        await using var gw = await StartAsync();
        await using var client = gw.Client(gw.Authorize("alice", PeerRoles.Client, "test"));
        for (int i = 0; i < 50; i++)
        {
            await client.CallAsync(new CallRequest("made-up-" + i.ToString(CultureInfo.InvariantCulture)) { Domain = "test" });
        }

        using var http = Http(gw);
        string text = await http.GetStringAsync("metrics");
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); Sample(text, "gatehouse_requests_total", "front_door=\"native\",domain=\"-\",command=\"-\",outcome=\"unknown_command\"") != 50 && clock.Elapsed < TimeSpan.FromSeconds(10);)
        {
            await Task.Delay(20); // the last call is recorded just after its answer was sent
            text = await http.GetStringAsync("metrics");
        }

        Assert.DoesNotContain("made-up", text, StringComparison.Ordinal);
        Assert.Equal(50, Sample(text, "gatehouse_requests_total", "front_door=\"native\",domain=\"-\",command=\"-\",outcome=\"unknown_command\""));
    }

    [Fact]
    public async Task Readyz_is_not_ready_before_the_listeners_are_bound_and_start_finished_and_ready_after_healthz_always()
    {
        HttpStatusCode? beforeReady = null;
        string? body = null;
        await using var gw = await StartAsync(runtime: rt => rt.BeforeReadyHook = async () =>
        {
            // Every listener (the diagnostics one included) is bound now; start-up has not finished.
            using var http = new HttpClient { BaseAddress = new Uri($"http://{rt.DiagnosticsEndpoint}/") };
            var response = await http.GetAsync("readyz");
            beforeReady = response.StatusCode;
            body = await response.Content.ReadAsStringAsync();
        });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, beforeReady);
        Assert.Equal("starting\n", body);

        using var client = Http(gw);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("readyz")).StatusCode);
        Assert.Equal("ok\n", await client.GetStringAsync("healthz"));
    }

    [Fact]
    public async Task Readyz_says_draining_once_shutdown_began()
    {
        await using var gw = await StartAsync();
        using var http = Http(gw);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
        gw.Server.Runtime.BeginDraining();
        var response = await http.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("draining\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_diagnostics_address_off_loopback_is_refused_unless_allowed()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => TestGateway.StartAsync(o => o with { DiagnosticsListen = "0.0.0.0:0" }));
        Assert.Contains("not a loopback address", ex.Message, StringComparison.Ordinal);
        await using var gw = await TestGateway.StartAsync(o => o with { DiagnosticsListen = "0.0.0.0:0", DiagnosticsAnyAddress = true });
        Assert.NotNull(gw.Server.DiagnosticsEndpoint);
    }

    [Fact]
    public async Task Without_a_diagnostics_listener_nothing_is_recorded_on_the_request_path()
    {
        await using var gw = await TestGateway.StartAsync();
        Assert.Null(gw.Server.DiagnosticsEndpoint);
        Assert.False(gw.Server.Runtime.Metrics.Active);
    }

    [Theory]
    [InlineData(StatusKind.Exit, 0, "ok")]
    [InlineData(StatusKind.Exit, 3, "exit")]
    [InlineData(StatusKind.Error, (int)ErrorCode.UnknownCommand, "unknown_command")]
    [InlineData(StatusKind.Error, (int)ErrorCode.DeadlineExceeded, "deadline_exceeded")]
    [InlineData(StatusKind.Error, (int)ErrorCode.Access, "access")]
    [InlineData(StatusKind.Error, 4242, "error")]
    public void Outcomes_have_stable_snake_case_names(StatusKind kind, int code, string name) =>
        Assert.Equal(name, OutcomeNames.Of(new CallStatus(kind, code, string.Empty)));
}
