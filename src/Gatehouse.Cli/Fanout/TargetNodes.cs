using System.CommandLine;
using Gatehouse.Cli.CommandLine;
using Gatehouse.Client;
using Gatehouse.NodeSets;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// The nodes a fan-out calls: the <c>-w</c> node sets (groups from the groups file, <c>@cluster</c>
/// from <c>--via</c>), minus <c>-x</c> node sets and <c>-X</c> groups; and the outcomes known
/// without calling (cluster members known dead, members without a remctl listener).
/// </summary>
internal sealed record TargetNodes(NodeSet Nodes, IReadOnlyList<NodeOutcome> Early, ClusterNodes? Cluster)
{
    /// <param name="viaOptions">Client options for asking <c>--via</c> (made only when <c>@cluster</c> is used).</param>
    /// <param name="remctl">Cluster members as remctl nodes (HOST:REMCTLPORT).</param>
    /// <exception cref="CliException">A bad node set or groups file (64), an unreadable groups file (78), a gateway that cannot tell its members (255).</exception>
    public static async Task<TargetNodes> ResolveAsync(ParseResult parse, FanoutOptions options, string? configDir, Func<ClientOptions> viaOptions, bool remctl, CancellationToken cancellationToken)
    {
        string[] expressions = parse.GetValue(options.Nodes) ?? [];
        string groupsPath = parse.GetValue(options.Groups) ?? CliPaths.GroupsPath(configDir);
        NodeGroups groups;
        try
        {
            groups = File.Exists(groupsPath) ? NodeGroups.Load(groupsPath) : NodeGroups.Empty;
        }
        catch (FormatException ex)
        {
            throw new CliException(ex.Message, ExitCodes.Usage, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"groups file {groupsPath}: {ex.Message}", ExitCodes.LocalConfig, ex);
        }

        var parseOptions = groups.ToParseOptions();
        ClusterNodes? cluster = null;
        var early = new List<NodeOutcome>();
        string[] excluded = parse.GetValue(options.Exclude) ?? [];
        if (expressions.Concat(excluded).Any(ClusterNodes.IsUsedIn) && !groups.TryGetGroup(ClusterNodes.GroupName, out _))
        {
            string via = parse.GetValue(options.Via) ?? throw new CliException("@cluster needs --via GATEWAY (the member whose member list to use)", ExitCodes.Usage);
            try
            {
                cluster = await ClusterNodes.LoadAsync(groups, via, viaOptions(), remctl, cancellationToken);
            }
            catch (InvalidOperationException ex)
            {
                throw new CliException(ex.Message, ExitCodes.ConnectionFailed, ex);
            }

            parseOptions = parseOptions with { Groups = cluster };
            foreach (var (node, state) in cluster.Gone)
            {
                // Known dead by the gateway: reported now, not after a connect timeout.
                early.Add(NodeOutcome.NotConnected(node, $"member is {state} (according to {via})", TimeSpan.Zero));
            }

            foreach (string node in cluster.Skipped)
            {
                early.Add(NodeOutcome.Skipped(node, "no remctl listener"));
            }
        }

        string[] excludedGroups = parse.GetValue(options.ExcludeGroup) ?? [];
        NodeSet Evaluate(NodeSetParseOptions with)
        {
            var nodes = NodeSet.Empty;
            foreach (string expression in expressions)
            {
                nodes = nodes.Union(NodeSet.Parse(expression, with));
            }

            foreach (string expression in excluded)
            {
                nodes = nodes.Except(NodeSet.Parse(expression, with));
            }

            foreach (string group in excludedGroups)
            {
                nodes = nodes.Except(NodeSet.Parse("@" + group.TrimStart('@'), with));
            }

            return nodes;
        }

        try
        {
            var nodes = Evaluate(parseOptions);
            if (cluster is not null)
            {
                // Members known dead or skipped are reported only when the node sets ask for them.
                var asked = Evaluate(parseOptions with { Groups = cluster.WithEveryKnownMember() });
                early.RemoveAll(o => !asked.Contains(o.Node) || nodes.Contains(o.Node));
            }

            return new TargetNodes(nodes, early, cluster);
        }
        catch (FormatException ex)
        {
            throw new CliException(ex.Message, ExitCodes.Usage, ex);
        }
    }
}
