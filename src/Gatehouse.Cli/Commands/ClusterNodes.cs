using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Gatehouse.Client;
using Gatehouse.NodeSets;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>@cluster</c> in a node set: the members of the cluster as the gateway named by <c>--via</c>
/// knows them (<c>gatehouse members --json</c>, which needs the admin role there). Live members
/// (alive or suspect) become nodes, each pinned to its own fingerprint; members known dead or gone
/// are reported at once instead of being dialled.
/// </summary>
internal sealed class ClusterNodes : INodeGroupSource
{
    public const string GroupName = "cluster";

    private readonly INodeGroupSource _inner;

    private ClusterNodes(INodeGroupSource inner, NodeSet live, IReadOnlyDictionary<string, Fingerprint> pins, IReadOnlyList<(string Node, string State)> gone)
    {
        _inner = inner;
        Live = live;
        Pins = pins;
        Gone = gone;
    }

    /// <summary>The live members as nodes (ADDRESS:PORT).</summary>
    public NodeSet Live { get; }

    /// <summary>Each member's fingerprint by node.</summary>
    public IReadOnlyDictionary<string, Fingerprint> Pins { get; }

    /// <summary>Members the gateway knows to be dead or gone, with their state.</summary>
    public IReadOnlyList<(string Node, string State)> Gone { get; }

    /// <summary>True when <paramref name="expression"/> names <c>@cluster</c>.</summary>
    public static bool IsUsedIn(string expression) =>
        System.Text.RegularExpressions.Regex.IsMatch(expression, @"(^|[,!&^\s])@cluster($|[,!&^\s])");

    /// <summary>Asks <paramref name="via"/> for its member list.</summary>
    /// <exception cref="InvalidOperationException">The gateway could not be asked or refused (the message says why, in one line).</exception>
    public static async Task<ClusterNodes> LoadAsync(INodeGroupSource inner, string via, ClientOptions options, CancellationToken cancellationToken)
    {
        CallResult result;
        try
        {
            await using var client = new GatehouseClient(Endpoint.Parse(via), options);
            result = await client.CallAsync(new CallRequest("members", ["--json"]) { Domain = RequestHeader.ControlDomain }, cancellationToken);
        }
        catch (ConnectException ex)
        {
            throw new InvalidOperationException($"@cluster: cannot ask {via} for its members: {ex.Message}", ex);
        }

        if (!result.Status.IsSuccess)
        {
            throw new InvalidOperationException($"@cluster: {via} refused 'members': {result.Status.Message}");
        }

        var live = new List<string>();
        var pins = new Dictionary<string, Fingerprint>(StringComparer.Ordinal);
        var gone = new List<(string, string)>();
        try
        {
            using var doc = JsonDocument.Parse(result.Stdout);
            foreach (var member in doc.RootElement.EnumerateArray())
            {
                string node = member.GetProperty("address").GetString()!;
                string state = member.GetProperty("state").GetString()!;
                if (Fingerprint.TryParse(member.GetProperty("fingerprint").GetString(), out var fp))
                {
                    pins[node] = fp;
                }

                if (state is "alive" or "suspect")
                {
                    live.Add(node);
                }
                else
                {
                    gone.Add((node, state));
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidOperationException($"@cluster: {via} answered 'members' with something that is not a member list", ex);
        }

        return new ClusterNodes(inner, NodeSet.FromNodes(live), pins, gone);
    }

    public bool TryGetGroup(string name, [NotNullWhen(true)] out NodeSet? nodes)
    {
        if (_inner.TryGetGroup(name, out nodes))
        {
            return true; // a group file's own "cluster" wins
        }

        if (name == GroupName)
        {
            nodes = Live;
            return true;
        }

        return false;
    }
}
