using System.CommandLine;
using Gatehouse.Cli.CommandLine;
using Gatehouse.Cli.Commands;
using Gatehouse.Client;
using Gatehouse.Transport.Connections;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// <c>gatehouse call -w NODESET COMMAND [ARGS...]</c>: the nodes (<see cref="TargetNodes"/>), each
/// called through Gatehouse (<see cref="GatehouseNodeRunner"/>), shown and summarised by
/// <see cref="FanoutRunner"/>.
/// </summary>
internal static class FanoutCall
{
    public static async Task<int> RunAsync(ParseResult parse, FanoutOptions fanout, string[] words, CancellationToken ct)
    {
        if (words.Length < 1)
        {
            throw new CliException("usage: gatehouse call -w NODESET [options] COMMAND [ARGS...]", ExitCodes.Usage);
        }

        bool stdin = parse.GetValue(CallOptions.Stdin);
        var settings = fanout.Settings(parse, stdin);
        string? configDir = parse.GetValue(CallOptions.ConfigDir);
        Transport.Security.PeerIdentity? identity = null;
        ClientOptions? options = null;
        ClientOptions Options() => options ??= CallCommand.BuildClientOptions(identity ??= CliPaths.LoadIdentity(configDir), parse);
        try
        {
            var targets = await TargetNodes.ResolveAsync(parse, fanout, configDir, Options, remctl: false, ct);
            CheckNodes(targets, settings);
            foreach (string node in targets.Nodes)
            {
                try
                {
                    Endpoint.Parse(node);
                }
                catch (FormatException ex)
                {
                    throw new CliException($"node '{node}' is not HOST[:PORT]: {ex.Message}", ExitCodes.Usage, ex);
                }
            }

            var clientOptions = Options();
            if (targets.Cluster is { } cluster)
            {
                // Each member is pinned to the fingerprint the gateway reports for it.
                var fallback = clientOptions.Pins;
                clientOptions = clientOptions with { Pins = endpoint => cluster.Pins.TryGetValue(endpoint.ToString(), out var fp) ? fp : fallback(endpoint) };
            }

            var request = CallCommand.Request(parse, words);
            return await FanoutRunner.RunAsync(targets.Nodes, targets.Early, new GatehouseNodeRunner(clientOptions, request), settings, ct);
        }
        finally
        {
            identity?.Dispose();
        }
    }

    /// <summary>Checks what a fan-out needs of its nodes before any is called (shared with <c>remctl -w</c>).</summary>
    /// <exception cref="CliException">No node, a node name that cannot be a file name with --outdir/--errdir.</exception>
    public static void CheckNodes(TargetNodes targets, FanoutSettings settings)
    {
        if (targets.Nodes.IsEmpty && targets.Early.Count == 0)
        {
            throw new CliException("the node set is empty: nothing to call", ExitCodes.Usage);
        }

        if (settings.OutDir is not null || settings.ErrDir is not null)
        {
            foreach (string node in targets.Nodes)
            {
                if (node is "." or ".." || node.Contains('/', StringComparison.Ordinal))
                {
                    throw new CliException($"node '{node}' cannot be a file name for --outdir/--errdir", ExitCodes.Usage);
                }
            }
        }
    }
}
