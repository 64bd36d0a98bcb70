using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.NodeSets;
using Gatehouse.WebConsole;
using Gatehouse.WebConsole.Security;

namespace Gatehouse.Console.Tests;

/// <summary>The console's API as the page uses it, over real HTTP, against the three clustered gateways.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ConsoleApiTests(ClusterFixture cluster)
{
    private static async Task<HttpClient> LoggedInAsync(ConsoleServer server)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = server.BaseUri };
        Assert.Equal(HttpStatusCode.SeeOther, (await client.GetAsync(server.LoginUrl.PathAndQuery)).StatusCode);
        return client;
    }

    /// <summary>The events of a run as the server sends them, until it ends the stream.</summary>
    private static async Task<List<(int Id, JsonElement Event)>> EventsAsync(HttpClient client, string run, int? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{run}/events");
        if (lastEventId is { } last)
        {
            request.Headers.Add("Last-Event-ID", last.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var events = new List<(int, JsonElement)>();
        int id = -1;
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = int.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((id, JsonDocument.Parse(line[6..]).RootElement.Clone()));
            }
        }

        return events;
    }

    [Fact]
    public async Task Without_a_cluster_the_console_shows_the_nodes_of_its_node_sets_and_groups_each_with_its_status()
    {
        string groups = Path.Combine(cluster.ConfigDir, "groups.api-test");
        await File.WriteAllTextAsync(groups, $"web: {cluster.Addresses[0]},{cluster.Addresses[1]}\n");
        var options = cluster.ConsoleOptions() with { Via = null, Nodes = ["@web", cluster.Addresses[2]], GroupsPath = groups };
        await using var server = await ConsoleServer.StartAsync(options);
        using var client = await LoggedInAsync(server);
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/api/cluster"));
        var members = doc.RootElement.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(cluster.Addresses.Order(NaturalComparer.Instance), members.Select(m => m.GetProperty("address").GetString()));
        Assert.All(members, m => Assert.Equal("node", m.GetProperty("state").GetString()));
        Assert.All(members, m => Assert.Equal(JsonValueKind.Null, m.GetProperty("problem").ValueKind));
        Assert.All(members, m => Assert.Equal(5, m.GetProperty("status").GetProperty("routes").GetInt32()));
        Assert.Equal(["web"], doc.RootElement.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("viaProblem").ValueKind);
    }

    [Fact]
    public async Task A_run_streams_its_events_in_order_and_a_reconnecting_page_gets_the_rest_from_its_last_event_id()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        using var client = await LoggedInAsync(server);
        var post = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = JsonContent.Create(new { nodes = "@cluster", domain = "demo", command = "hello" }) };
        post.Headers.Add(RequestGuard.ConsoleHeader, "1");
        var created = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string run = (await created.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["id"];
        Assert.Matches("^[0-9a-f]{32}$", run);

        var all = await EventsAsync(client, run);
        Assert.Equal(Enumerable.Range(0, all.Count), all.Select(e => e.Id));
        Assert.Equal("start", all[0].Event.GetProperty("type").GetString());
        Assert.Equal("end", all[^1].Event.GetProperty("type").GetString());
        var output = all.Where(e => e.Event.GetProperty("type").GetString() == "output")
            .GroupBy(e => e.Event.GetProperty("node").GetString()!)
            .ToDictionary(g => g.Key, g => string.Concat(g.Select(e => e.Event.GetProperty("text").GetString())));
        Assert.Equal(cluster.Addresses.Order(), output.Keys.Order());
        Assert.All(output.Values, text => Assert.Equal("hello from the demo service\n", text));
        Assert.Equal(3, all.Count(e => e.Event.GetProperty("type").GetString() == "done" && e.Event.GetProperty("kind").GetString() == "ok"));
        var block = Assert.Single(all[^1].Event.GetProperty("gathered").EnumerateArray());
        Assert.Equal(NodeSet.FromNodes(cluster.Addresses).Fold(), block.GetProperty("nodes").GetString());
        Assert.Equal("hello from the demo service\n", block.GetProperty("output").GetString());

        var rest = await EventsAsync(client, run, lastEventId: 2);
        Assert.Equal(all.Skip(3).Select(e => (e.Id, e.Event.ToString())), rest.Select(e => (e.Id, e.Event.ToString())));
    }
}
