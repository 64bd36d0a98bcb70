using System.CommandLine;
using System.Diagnostics;
using Gatehouse.Client;
using Gatehouse.NodeSets;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse call -w NODESET COMMAND [ARGS...]</c>: calls every node at once (at most --fanout
/// at a time). Output is printed as it arrives, each line prefixed by its node, or with -b gathered
/// at the end with identical outputs merged; then failures are summarised. Exit status: 0 when every
/// node exited 0, 255 when some node could not be reached, else the highest node exit status.
/// </summary>
internal static class FanoutCall
{
    public static async Task<int> RunAsync(ParseResult parse, string[] words, CancellationToken ct)
    {
        if (words.Length < 1)
        {
            Console.Error.WriteLine("gatehouse call: usage: gatehouse call -w NODESET [options] COMMAND [ARGS...]");
            return ExitCodes.Usage;
        }

        string? configDir = parse.GetValue(CallOptions.ConfigDir);
        using var identity = CliPaths.LoadIdentity(configDir);
        var options = CallCommand.BuildClientOptions(identity, parse.GetValue(CallOptions.Fingerprint), configDir, parse.GetValue(CallOptions.ConnectTimeout), parse.GetValue(CallOptions.Retries), parse.GetValue(CallOptions.Deadline));
        if (options is null)
        {
            return ExitCodes.Usage;
        }

        NodeSet nodes;
        ClusterNodes? cluster = null;
        try
        {
            string expression = parse.GetValue(FanoutOptions.Nodes)!;
            string groupsPath = parse.GetValue(FanoutOptions.Groups) ?? CliPaths.GroupsPath(configDir);
            var groups = File.Exists(groupsPath) ? NodeGroups.Load(groupsPath) : NodeGroups.Empty;
            var parseOptions = groups.ToParseOptions();
            if (ClusterNodes.IsUsedIn(expression) && !groups.TryGetGroup(ClusterNodes.GroupName, out _))
            {
                if (parse.GetValue(FanoutOptions.Via) is not { } via)
                {
                    Console.Error.WriteLine("gatehouse call: @cluster needs --via GATEWAY (the member whose member list to use)");
                    return ExitCodes.Usage;
                }

                cluster = await ClusterNodes.LoadAsync(groups, via, options, ct);
                parseOptions = parseOptions with { Groups = cluster };
                // Each member is pinned to the fingerprint the gateway reports for it.
                var fallback = options.Pins;
                options = options with { Pins = endpoint => cluster.Pins.TryGetValue(endpoint.ToString(), out var fp) ? fp : fallback(endpoint) };
            }

            nodes = NodeSet.Parse(expression, parseOptions);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine("gatehouse call: " + ex.Message);
            return ExitCodes.Usage;
        }
        catch (InvalidOperationException ex)
        {
            Console.Error.WriteLine("gatehouse call: " + ex.Message);
            return ExitCodes.ConnectionFailed;
        }

        var request = new CallRequest(words[0], words[1..])
        {
            Domain = parse.GetValue(CallOptions.Domain)!,
            Deadline = CallOptions.DeadlineOf(parse),
        };
        bool gather = parse.GetValue(FanoutOptions.Gather);
        int width = Math.Max(1, parse.GetValue(FanoutOptions.Fanout));
        var progress = new Progress(nodes);
        var results = new List<NodeResult>();
        var printLock = new object();
        using var slots = new SemaphoreSlim(width);

        async Task<NodeResult> CallNodeAsync(string node)
        {
            await slots.WaitAsync(ct);
            try
            {
                var endpoint = Endpoint.Parse(node);
                await using var client = new GatehouseClient(endpoint, options);
                await using var call = await client.StartCallAsync(request, ct);
                var stdout = new MemoryStream();
                var stderr = new MemoryStream();
                var outWriter = gather ? null : new LinePrefixWriter(Console.Out, node);
                var errWriter = gather ? null : new LinePrefixWriter(Console.Error, node);
                await foreach (var chunk in call.ReadOutputAsync(ct))
                {
                    (chunk.Stream == 2 ? stderr : stdout).Write(chunk.Data.Span);
                    if (!gather)
                    {
                        lock (printLock)
                        {
                            progress.Clear();
                            (chunk.Stream == 2 ? errWriter : outWriter)!.Append(chunk.Data.Span);
                        }
                    }
                }

                if (!gather)
                {
                    lock (printLock)
                    {
                        outWriter!.Complete();
                        errWriter!.Complete();
                    }
                }

                var status = await call.Completion;
                return status.Kind == StatusKind.Exit
                    ? NodeResult.Exited(node, status.Code, stdout.ToArray(), stderr.ToArray())
                    : NodeResult.Failed(node, $"error {status.Code}: {status.Message}", stdout.ToArray(), stderr.ToArray());
            }
            catch (ConnectException ex)
            {
                return NodeResult.Failed(node, ex.Failure == ConnectFailure.FingerprintMismatch ? "FINGERPRINT CHANGED: " + ex.Message : ex.Message);
            }
            catch (FormatException ex)
            {
                return NodeResult.Failed(node, ex.Message);
            }
            finally
            {
                slots.Release();
            }
        }

        var sw = Stopwatch.StartNew();
        foreach (var (node, state) in cluster?.Gone ?? [])
        {
            // Known dead by the gateway: reported now, not after a connect timeout.
            results.Add(NodeResult.Failed(node, $"member is {state} (according to {parse.GetValue(FanoutOptions.Via)})"));
        }

        var pending = nodes.ToDictionary(n => (Task<NodeResult>)CallNodeAsync(n), n => n);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending.Keys);
            pending.Remove(done);
            var result = await done;
            lock (printLock)
            {
                results.Add(result);
                progress.Done(result.Node);
            }
        }

        lock (printLock)
        {
            progress.Clear();
        }

        if (gather)
        {
            GatheredOutput.Write(Console.Out, results, GatherOptions.Default with { Streams = OutputStreams.Both });
        }

        var failures = results.Where(r => r.ExitCode is not 0).ToList();
        if (failures.Count > 0)
        {
            StatusSummary.Write(Console.Error, failures, includeSuccess: false);
        }

        Console.Error.Flush();
        if (!Console.IsErrorRedirected)
        {
            Console.Error.WriteLine($"{results.Count} nodes in {sw.Elapsed.TotalSeconds:0.00} s, {failures.Count} failed");
        }

        if (results.Any(r => r.ExitCode is null))
        {
            return ExitCodes.ConnectionFailed;
        }

        return results.Max(r => r.ExitCode ?? 0);
    }

    /// <summary>A one-line "[done/total] waiting: nodes" on a terminal's stderr; nothing when redirected.</summary>
    private sealed class Progress(NodeSet all)
    {
        private readonly bool _enabled = !Console.IsErrorRedirected;
        private readonly HashSet<string> _outstanding = [.. all];
        private bool _shown;

        public void Done(string node)
        {
            _outstanding.Remove(node);
            if (!_enabled)
            {
                return;
            }

            string line = ProgressLine.Format(all.Count - _outstanding.Count, all.Count, NodeSet.FromNodes(_outstanding), Math.Max(20, SafeWidth() - 1));
            Console.Error.Write("\r" + line + "\u001b[K");
            _shown = _outstanding.Count > 0;
            if (!_shown)
            {
                Console.Error.Write("\r\u001b[K");
            }
        }

        public void Clear()
        {
            if (_enabled && _shown)
            {
                Console.Error.Write("\r\u001b[K");
                _shown = false;
            }
        }

        private static int SafeWidth()
        {
            try
            {
                return Console.WindowWidth;
            }
            catch (IOException)
            {
                return 80; // no terminal size available
            }
        }
    }
}
