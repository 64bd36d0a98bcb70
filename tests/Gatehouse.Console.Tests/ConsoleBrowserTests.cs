using Gatehouse.NodeSets;
using Gatehouse.Transport.Security;
using Gatehouse.WebConsole;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>
/// The console in a real browser (Debian's chromium through Playwright) against three real
/// clustered gateways and the demo service attached to each. What the services' handlers saw is
/// checked through the fixture (the service), not through the page.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ConsoleBrowserTests(ClusterFixture cluster, BrowserFixture browser)
{
    private string AllFolded => NodeSet.FromNodes(cluster.Addresses).Fold();

    private static ILocator Panel(IPage page, string node) => page.Locator($"#live .node[data-node='{node}']");

    private static async Task RunAsync(IPage page, string nodes, string command, string args, string domain = "demo")
    {
        await page.GotoAsync(page.Url.Split('#')[0] + "#run");
        await page.GetByLabel("Nodes (node set)", new() { Exact = true }).FillAsync(nodes);
        await page.GetByLabel("Domain", new() { Exact = true }).FillAsync(domain);
        await page.GetByLabel("Command", new() { Exact = true }).FillAsync(command);
        await page.GetByLabel("Arguments", new() { Exact = true }).FillAsync(args);
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
    }

    [Fact]
    public async Task The_cluster_page_lists_the_three_members_alive_with_their_status_and_the_services_page_their_routes()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        await using var session = await browser.OpenAsync(server);
        var page = session.Page;
        var rows = page.Locator("#members tbody tr");
        await Expect(rows).ToHaveCountAsync(3);
        for (int i = 0; i < 3; i++)
        {
            var row = page.Locator($"#members tbody tr[data-address='{cluster.Addresses[i]}']");
            await Expect(row.Locator(".state")).ToHaveTextAsync("alive");
            await Expect(row).ToContainTextAsync(cluster.Gateways[i].Server.Fingerprint.ToString());
            await Expect(row).ToContainTextAsync("known_hosts");
            await Expect(row.Locator("td.num").Nth(2)).ToHaveTextAsync("5"); // routes: the demo service's five commands
        }

        await Expect(page.Locator("#members")).ToContainTextAsync(cluster.Addresses[0] + " (via)");
        await Expect(page.Locator("#banner")).ToBeHiddenAsync();
        await BrowserFixture.ScreenshotAsync(page, "cluster");

        await page.GetByRole(AriaRole.Link, new() { Name = "Services" }).ClickAsync();
        var hello = page.Locator("#routes tbody tr[data-route='demo/hello']");
        await Expect(hello).ToBeVisibleAsync();
        await Expect(hello.Locator("td").Nth(2)).ToHaveTextAsync(AllFolded);
        await Expect(page.Locator("#routes tbody tr")).ToHaveCountAsync(5);
        await BrowserFixture.ScreenshotAsync(page, "services");
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task The_run_page_streams_each_nodes_output_live_then_gathers_identical_outputs_under_the_folded_node_set()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        await using var session = await browser.OpenAsync(server);
        var page = session.Page;
        string key = "live-" + Guid.NewGuid().ToString("N")[..8];
        await RunAsync(page, "@cluster", "stream", key);

        // Live: the first line of every node is on the page while every handler still waits at its gate.
        foreach (string node in cluster.Addresses)
        {
            await Expect(Panel(page, node).Locator("pre")).ToHaveTextAsync("line 1\n");
            await Expect(Panel(page, node).Locator(".node-status")).ToHaveTextAsync("running");
        }

        Assert.Equal(3, cluster.Calls.GetValueOrDefault("stream " + key));
        await Expect(page.Locator("#gathered .block")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeEnabledAsync();
        await BrowserFixture.ScreenshotAsync(page, "run-live");

        cluster.Gates.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        var block = page.Locator("#gathered .block");
        await Expect(block).ToHaveCountAsync(1);
        await Expect(block.Locator(".label")).ToHaveTextAsync($"{AllFolded} (3)");
        await Expect(block.Locator("pre")).ToHaveTextAsync("line 1\nline 2\n");
        await Expect(page.Locator("#summary li")).ToHaveTextAsync([$"{AllFolded} (3): exit 0"]);
        await Expect(page.Locator("#run-state")).ToContainTextAsync("Every node exited 0");
        foreach (string node in cluster.Addresses)
        {
            await Expect(Panel(page, node).Locator(".node-status")).ToHaveTextAsync("exit 0");
            await Expect(Panel(page, node)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bok\b"));
        }

        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeDisabledAsync();
        await BrowserFixture.ScreenshotAsync(page, "run-gathered");
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task Arguments_and_stdin_reach_the_command_as_argv_without_a_shell()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        await using var session = await browser.OpenAsync(server);
        var page = session.Page;
        await page.GotoAsync(page.Url + "#run");
        await page.GetByLabel("Standard input (optional)").FillAsync("from the page\n");
        string node = cluster.Addresses[1];
        await RunAsync(page, node, "echo", "one \"two words\" '$(id)' ;ls");
        await Expect(page.Locator("#gathered .block pre")).ToHaveTextAsync("[one]\n[two words]\n[$(id)]\n[;ls]\nstdin: from the page\n");
        await Expect(page.Locator("#gathered .block .label")).ToHaveTextAsync(node);
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task A_node_that_exits_non_zero_is_shown_as_failed_in_its_panel_the_summary_and_a_block_of_its_own()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        await using var session = await browser.OpenAsync(server);
        var page = session.Page;
        await RunAsync(page, AllFolded, "check", "");
        string failing = cluster.Addresses[2];
        string good = NodeSet.FromNodes(cluster.Addresses.Take(2)).Fold();

        await Expect(page.Locator("#summary li")).ToHaveTextAsync([$"{good} (2): exit 0", $"{failing}: exit 3"]);
        await Expect(page.Locator("#summary li.failed")).ToHaveTextAsync($"{failing}: exit 3");
        await Expect(page.Locator("#gathered .block .label")).ToHaveTextAsync([$"{good} (2)", failing]);
        await Expect(page.Locator("#gathered .block.failed")).ToHaveAttributeAsync("data-nodes", failing);
        await Expect(Panel(page, failing)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bfailed\b"));
        await Expect(Panel(page, failing).Locator(".node-status")).ToHaveTextAsync("exit 3");
        await Expect(Panel(page, failing).Locator("pre .err")).ToHaveTextAsync("disk 2 is failing\n");
        await Expect(page.Locator("#run-state")).ToContainTextAsync("1 node(s) failed");
        await BrowserFixture.ScreenshotAsync(page, "run-failed");
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task Cancel_ends_a_long_running_command_on_every_node_and_each_service_handler_sees_the_cancellation()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        await using var session = await browser.OpenAsync(server);
        var page = session.Page;
        string key = "cancel-" + Guid.NewGuid().ToString("N")[..8];
        await RunAsync(page, "@cluster", "sleep", key);
        foreach (string node in cluster.Addresses)
        {
            await Expect(Panel(page, node).Locator("pre")).ToHaveTextAsync("sleeping\n");
        }

        Assert.Equal(3, cluster.SleepStarted.GetValueOrDefault(key));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await ClusterFixture.Until(() => cluster.SleepCancelled.GetValueOrDefault(key) == 3, TimeSpan.FromSeconds(15), "not every service handler saw the cancellation");
        await Expect(page.Locator("#run-state")).ToHaveTextAsync("Cancelled. 3 node(s) cancelled.");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cancelling took {clock.Elapsed}");
        foreach (string node in cluster.Addresses)
        {
            await Expect(Panel(page, node).Locator(".node-status")).ToHaveTextAsync("cancelled");
        }

        await Expect(page.Locator("#summary li")).ToHaveTextAsync([$"{AllFolded} (3): error: cancelled"]);
        await BrowserFixture.ScreenshotAsync(page, "run-cancelled");
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task A_gateway_whose_fingerprint_changed_is_shown_as_an_error_and_a_run_on_it_sends_nothing()
    {
        // This user's known_hosts pins the third gateway to another key, as if that gateway's identity had been replaced.
        string knownHosts = Path.Combine(cluster.ConfigDir, "known_hosts.changed");
        var pins = new KnownHosts(knownHosts);
        using var impostor = PeerIdentity.CreateEphemeral("old-gw3");
        for (int i = 0; i < 3; i++)
        {
            pins.Set(cluster.Addresses[i], i == 2 ? impostor.Fingerprint : cluster.Gateways[i].Server.Fingerprint);
        }

        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions(knownHosts));
        await using var session = await browser.OpenAsync(server);
        var page = session.Page;
        string changed = cluster.Addresses[2];
        var row = page.Locator($"#members tbody tr[data-address='{changed}']");
        await Expect(row).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bfingerprint-changed\b"));
        await Expect(row.Locator(".state")).ToHaveTextAsync("FINGERPRINT CHANGED");
        await Expect(row).ToContainTextAsync($"presents {cluster.Gateways[2].Server.Fingerprint}, which is not the pinned fingerprint {impostor.Fingerprint}");
        await Expect(row).ToContainTextAsync("known_hosts (conflict)");
        await Expect(page.Locator("#banner")).ToContainTextAsync("FINGERPRINT CHANGED");
        foreach (string other in cluster.Addresses.Take(2))
        {
            await Expect(page.Locator($"#members tbody tr[data-address='{other}'] .state")).ToHaveTextAsync("alive");
        }

        await BrowserFixture.ScreenshotAsync(page, "fingerprint-changed");

        string key = "pinned-" + Guid.NewGuid().ToString("N")[..8];
        cluster.Gates.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        await RunAsync(page, "@cluster", "stream", key);
        await Expect(Panel(page, changed).Locator(".node-status")).ToContainTextAsync("unreachable: FINGERPRINT CHANGED");
        await Expect(page.Locator("#summary li.failed")).ToContainTextAsync($"{changed}: error: FINGERPRINT CHANGED");
        await Expect(page.Locator("#summary li.ok")).ToHaveTextAsync($"{NodeSet.FromNodes(cluster.Addresses.Take(2)).Fold()} (2): exit 0");
        Assert.Equal(2, cluster.Calls.GetValueOrDefault("stream " + key)); // the third gateway's service never ran it
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task A_page_of_another_origin_cannot_start_a_run_in_the_logged_in_browser()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        await using var session = await browser.OpenAsync(server);
        var page = session.Page;
        string key = "xsite-" + Guid.NewGuid().ToString("N")[..8];
        string target = new Uri(server.BaseUri, "/api/runs").ToString();
        string form = $$"""
            <!DOCTYPE html><form method="post" enctype="text/plain" action="{{target}}">
            <input name='{"nodes":"@cluster","domain":"demo","command":"stream","args":["{{key}}"],"x":"' value='"}'></form>
            <script>document.forms[0].submit()</script>
            """;

        // Another site, and another port of the same host (the same site for SameSite, so the cookie goes along): both refused.
        foreach (var (origin, status) in new[] { ("http://attacker.test", 401), ("http://127.0.0.1:1", 403) })
        {
            await page.RouteAsync(origin + "/**", route => route.FulfillAsync(new() { ContentType = "text/html", Body = form }));
            var answer = page.WaitForResponseAsync(r => r.Url == target);
            await page.GotoAsync(origin + "/");
            Assert.Equal(status, (await answer).Status);

            // A script there cannot send the console's header either: the preflight gets no CORS grant.
            await page.RouteAsync(origin + "/page2", route => route.FulfillAsync(new() { ContentType = "text/html", Body = "<!DOCTYPE html><p>x</p>" }));
            await page.GotoAsync(origin + "/page2");
            string outcome = await page.EvaluateAsync<string>(
                "async t => { try { const r = await fetch(t, { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json', 'X-Gatehouse-Console': '1' }, body: '{}' }); return 'status ' + r.status; } catch (e) { return 'blocked'; } }",
                target);
            Assert.Equal("blocked", outcome);
        }

        Assert.False(cluster.Calls.ContainsKey("stream " + key));
    }

    [Fact]
    public async Task The_pages_fit_a_narrow_window_name_every_control_and_the_metrics_page_draws_a_line_per_gateway()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        await using var session = await browser.OpenAsync(server, width: 420, height: 800);
        var page = session.Page;
        await Expect(page.Locator("#members tbody tr")).ToHaveCountAsync(3);
        foreach (string hash in new[] { "#cluster", "#services", "#run", "#metrics" })
        {
            await page.GotoAsync(page.Url.Split('#')[0] + hash);
            int overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            string wide = overflow <= 0 ? string.Empty : await page.EvaluateAsync<string>(
                "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth && !e.closest('.table-wrap *')).slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')");
            Assert.True(overflow <= 0, $"{hash} scrolls sideways by {overflow} px at 420 px wide: {wide}");
        }

        // Every control has an accessible name (a label, aria-label, or its text).
        string[] unnamed = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('input, textarea, select, button, a[href]')]
              .filter(e => !(e.getAttribute('aria-label') || (e.id && document.querySelector('label[for="' + e.id + '"]')) || e.textContent.trim()))
              .map(e => e.outerHTML)
            """);
        Assert.Empty(unnamed);

        await page.GotoAsync(page.Url.Split('#')[0] + "#run");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add " + cluster.Addresses[1] + " to the nodes" }).ClickAsync();
        await Expect(page.GetByLabel("Nodes (node set)", new() { Exact = true })).ToHaveValueAsync(cluster.Addresses[1]);
        await Expect(page.Locator("#run-nodes-preview")).ToHaveTextAsync("1 node: " + cluster.Addresses[1]);
        await page.GetByLabel("Nodes (node set)", new() { Exact = true }).FillAsync("gw[1-");
        await Expect(page.Locator("#run-nodes-preview")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bbad\b"));
        await Expect(page.Locator("#run-nodes-preview")).ToContainTextAsync("gw[1-");
        await page.GetByLabel("Nodes (node set)", new() { Exact = true }).FillAsync("@cluster");
        await Expect(page.Locator("#run-nodes-preview")).ToHaveTextAsync($"3 nodes: {AllFolded}");
        await BrowserFixture.ScreenshotAsync(page, "run-narrow");

        // Metrics: a line per gateway once two samples are in (one every 2 s).
        await page.SetViewportSizeAsync(1280, 800);
        await page.GotoAsync(page.Url.Split('#')[0] + "#metrics");
        await Expect(page.Locator("#chart-rate polyline")).ToHaveCountAsync(3, new() { Timeout = 30_000 });
        await page.WaitForFunctionAsync(
            "() => [...document.querySelectorAll('#chart-rate polyline')].filter(p => p.getAttribute('points').split(' ').length >= 3).length === 3",
            null, new() { Timeout = 30_000 });
        await Expect(page.Locator("#chart-latency polyline")).ToHaveCountAsync(3);
        await Expect(page.Locator("#legend li")).ToHaveCountAsync(3);
        await BrowserFixture.ScreenshotAsync(page, "metrics");
        Assert.Empty(session.Errors);
    }
}
