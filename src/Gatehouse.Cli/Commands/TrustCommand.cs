using System.CommandLine;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse trust HOST[:PORT]</c>: connects, shows the gateway's fingerprint and records it in
/// known_hosts after confirmation (trust on first use, like SSH). A changed fingerprint is shown
/// loudly and needs the same explicit confirmation.
/// </summary>
internal static class TrustCommand
{
    /// <summary>Default connect timeout of trust: 5 s, one attempt.</summary>
    public const double DefaultConnectTimeoutSeconds = 5;

    public static Command Create()
    {
        var host = new Argument<string?>("host") { Description = "HOST[:PORT] of the gateway (default port 7340)", Arity = ArgumentArity.ZeroOrOne };
        var nodes = new Option<string?>("--nodes", "-w") { Description = "Trust every node of this node set at once, e.g. 'gw[1-20]'" };
        var groups = new Option<string?>("--groups") { Description = "Groups file for @group names" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Record gateways that have no pin yet without asking (a changed fingerprint is never replaced by --yes)" };
        var expected = new Option<string?>("--fingerprint") { Description = "The fingerprint the gateway must present (checked out of band); compared whether or not it is pinned" };
        var replace = new Option<string?>("--replace") { Description = "Replace a changed pin, only if the gateway presents exactly this new fingerprint" };
        var remove = new Option<bool>("--remove") { Description = "Remove HOST's pin (no connection is made)" };
        var list = new Option<bool>("--list") { Description = "List the pinned gateways (and successors announced by a key rotation)" };
        var configDir = CommonOptions.ConfigDir();
        var timeout = CommonOptions.ConnectTimeout(DefaultConnectTimeoutSeconds);
        var command = new Command("trust", "Show a gateway's fingerprint and pin it in your known_hosts") { host, nodes, groups, yes, expected, replace, remove, list, configDir, timeout };
        command.SetAction(async (parse, ct) =>
        {
            var knownHosts = new KnownHosts(CliPaths.KnownHostsPath(parse.GetValue(configDir)));
            if (parse.GetValue(list))
            {
                return List(knownHosts);
            }

            if (parse.GetValue(nodes) is { } nodeSet)
            {
                return await TrustManyAsync(nodeSet, parse.GetValue(groups), parse.GetValue(yes), parse.GetValue(configDir), CommandLine.OptionValues.SecondsOr(parse, timeout, DefaultConnectTimeoutSeconds), ct);
            }

            if (parse.GetValue(host) is null)
            {
                Console.Error.WriteLine("gatehouse trust: give HOST[:PORT], -w NODESET or --list");
                return ExitCodes.Usage;
            }

            Endpoint endpoint;
            try
            {
                endpoint = Endpoint.Parse(parse.GetValue(host)!);
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine("gatehouse trust: " + ex.Message);
                return ExitCodes.Usage;
            }

            Fingerprint? wanted = null;
            foreach (var (name, text) in new[] { ("--fingerprint", parse.GetValue(expected)), ("--replace", parse.GetValue(replace)) })
            {
                if (text is null)
                {
                    continue;
                }

                if (!Fingerprint.TryParse(text, out var fp) || (wanted is { } other && other != fp))
                {
                    Console.Error.WriteLine($"gatehouse trust: {name} '{text}' is not a fingerprint (SHA256:<base64> or 64 hex digits){(wanted is null ? string.Empty : " or differs from the other one given")}");
                    return ExitCodes.Usage;
                }

                wanted = fp;
            }

            if (parse.GetValue(remove))
            {
                return Remove(knownHosts, endpoint);
            }

            KnownHostEntry? entry;
            try
            {
                entry = knownHosts.FindEntry(endpoint.ToString());
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"gatehouse trust: {ex.Message}; nothing recorded (fix or remove that line)");
                return ExitCodes.LocalConfig;
            }

            using var identity = CliPaths.LoadIdentity(parse.GetValue(configDir));
            var (presented, failure) = await FetchFingerprintAsync(endpoint, identity, CommandLine.OptionValues.SecondsOr(parse, timeout, DefaultConnectTimeoutSeconds), ct);
            if (presented is null)
            {
                Console.Error.WriteLine($"gatehouse trust: {failure!.Message}");
                return ExitCodes.ConnectionFailed;
            }

            Console.WriteLine($"{endpoint} presents {presented.Value}");
            var decision = TrustDecision.Decide(entry?.Fingerprint, presented.Value, wanted, replace: parse.GetValue(replace) is not null, yes: parse.GetValue(yes));
            switch (decision)
            {
                case TrustOutcome.AlreadyTrusted:
                    Console.WriteLine($"already trusted in {knownHosts.Path}");
                    return 0;
                case TrustOutcome.WrongFingerprint:
                    Console.Error.WriteLine($"gatehouse trust: {endpoint} presents {presented.Value}, not {wanted}; {(entry is null ? "nothing recorded" : "pin unchanged")}");
                    return ExitCodes.ConnectionFailed;
                case TrustOutcome.ChangedRefused:
                    WarnChanged(endpoint, entry!.Value.Fingerprint, presented.Value);
                    Console.Error.WriteLine($"Pin unchanged. If the change is expected, check the new fingerprint out of band, then run: gatehouse trust {endpoint} --replace {presented.Value}");
                    Console.Error.WriteLine($"(or remove the pin: gatehouse trust --remove {endpoint})");
                    return ExitCodes.ConnectionFailed;
                case TrustOutcome.Replace:
                    WarnChanged(endpoint, entry!.Value.Fingerprint, presented.Value);
                    break;
                case TrustOutcome.Ask when !Confirm($"Trust {endpoint} with this fingerprint? [y/N] "):
                    Console.Error.WriteLine("not trusted; nothing recorded");
                    return 1;
            }

            try
            {
                knownHosts.Set(endpoint.ToString(), presented.Value);
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"gatehouse trust: {ex.Message}; nothing recorded (fix or remove that line)");
                return ExitCodes.LocalConfig;
            }

            Console.WriteLine(decision == TrustOutcome.Replace ? $"replaced in {knownHosts.Path}" : $"recorded in {knownHosts.Path}");
            return 0;
        });
        return command;
    }

    private static void WarnChanged(Endpoint endpoint, Fingerprint old, Fingerprint presented)
    {
        Console.Error.WriteLine("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
        Console.Error.WriteLine("@   WARNING: THE GATEWAY'S FINGERPRINT HAS CHANGED!         @");
        Console.Error.WriteLine("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
        Console.Error.WriteLine($"known_hosts has {old} for {endpoint}; it now presents {presented}.");
        Console.Error.WriteLine("Someone may be intercepting the connection, or the gateway's identity was replaced.");
    }

    private static int List(KnownHosts knownHosts)
    {
        try
        {
            foreach (var entry in knownHosts.ReadEntries())
            {
                Console.WriteLine(entry.Next is { } next ? $"{entry.HostPort} {entry.Fingerprint} (announced successor {next})" : $"{entry.HostPort} {entry.Fingerprint}");
            }

            return 0;
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine("gatehouse trust: " + ex.Message);
            return ExitCodes.LocalConfig;
        }
    }

    private static int Remove(KnownHosts knownHosts, Endpoint endpoint)
    {
        try
        {
            if (!knownHosts.Remove(endpoint.ToString()))
            {
                Console.Error.WriteLine($"gatehouse trust: no pin for {endpoint} in {knownHosts.Path}");
                return 1;
            }
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"gatehouse trust: {ex.Message}; nothing removed (fix that line first)");
            return ExitCodes.LocalConfig;
        }

        Console.WriteLine($"removed {endpoint} from {knownHosts.Path}");
        return 0;
    }

    /// <summary>
    /// <c>trust -w NODESET</c>: fetches every node's fingerprint at once, shows them (changed ones
    /// loudly), and records them all after one confirmation (or with --yes).
    /// </summary>
    private static async Task<int> TrustManyAsync(string expression, string? groupsFile, bool yes, string? configDir, TimeSpan timeout, CancellationToken ct)
    {
        NodeSets.NodeSet set;
        try
        {
            string groupsPath = groupsFile ?? CliPaths.GroupsPath(configDir);
            var groupsSource = File.Exists(groupsPath) ? NodeSets.NodeGroups.Load(groupsPath) : NodeSets.NodeGroups.Empty;
            set = NodeSets.NodeSet.Parse(expression, groupsSource.ToParseOptions());
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine("gatehouse trust: " + ex.Message);
            return ExitCodes.Usage;
        }

        var endpoints = new Dictionary<string, Endpoint>(StringComparer.Ordinal);
        foreach (string node in set)
        {
            try
            {
                endpoints[node] = Endpoint.Parse(node);
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"gatehouse trust: node '{node}' is not HOST[:PORT]: {ex.Message}");
                return ExitCodes.Usage;
            }
        }

        using var identity = CliPaths.LoadIdentity(configDir);
        var knownHosts = new KnownHosts(CliPaths.KnownHostsPath(configDir));
        try
        {
            knownHosts.ReadEntries(); // a bad line anywhere: refuse before connecting to anything
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"gatehouse trust: {ex.Message}; nothing recorded (fix or remove that line)");
            return ExitCodes.LocalConfig;
        }
        var fetched = await Task.WhenAll(set.Select(async node =>
        {
            var endpoint = endpoints[node];
            var (presented, failure) = await FetchFingerprintAsync(endpoint, identity, timeout, ct);
            return (Node: node, Endpoint: endpoint, Presented: presented, Failure: failure);
        }));
        var toRecord = new List<(Endpoint Endpoint, Fingerprint Fingerprint)>();
        var unreachable = new List<NodeSets.NodeResult>();
        int changed = 0;
        foreach (var (node, endpoint, presented, failure) in fetched)
        {
            if (presented is null)
            {
                // Said without the node, so identical failures fold under one node set (as call -w does).
                unreachable.Add(NodeSets.NodeResult.Failed(node, Fanout.FailureText.Of(failure!, endpoint, attempts: 1), default, default));
                continue;
            }

            var previous = knownHosts.Find(endpoint.ToString());
            if (previous == presented)
            {
                Console.WriteLine($"{node}: {presented.Value} (already trusted)");
                continue;
            }

            if (previous is { } old)
            {
                // Never replaced in bulk, --yes or not: each change is checked and replaced on its own.
                changed++;
                Console.Error.WriteLine($"{node}: {presented.Value}  WARNING: CHANGED (known_hosts has {old}); pin unchanged: check it, then gatehouse trust {endpoint} --replace {presented.Value}");
                continue;
            }

            Console.WriteLine($"{node}: {presented.Value}");
            toRecord.Add((endpoint, presented.Value));
        }

        NodeSets.StatusSummary.Write(Console.Error, unreachable, "gatehouse trust");
        if (toRecord.Count > 0 && (yes || Confirm(toRecord.Count == 1 ? "Trust this fingerprint? [y/N] " : $"Trust these {toRecord.Count} fingerprints? [y/N] ")))
        {
            foreach (var (endpoint, fp) in toRecord)
            {
                knownHosts.Set(endpoint.ToString(), fp);
            }

            Console.WriteLine($"recorded {toRecord.Count} {(toRecord.Count == 1 ? "fingerprint" : "fingerprints")} in {knownHosts.Path}");
        }
        else if (toRecord.Count > 0)
        {
            Console.Error.WriteLine("not trusted; nothing recorded");
            return 1;
        }

        return unreachable.Count > 0 || changed > 0 ? ExitCodes.ConnectionFailed : 0;
    }

    /// <summary>
    /// Connects far enough to see the gateway's certificate, then stops (no request is sent).
    /// Returns the fingerprint presented, or why none was (the caller reports it).
    /// </summary>
    internal static async Task<(Fingerprint? Presented, ConnectException? Failure)> FetchFingerprintAsync(Endpoint endpoint, PeerIdentity identity, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            var connection = await Dialer.ConnectAsync(endpoint, identity, _ => false, new ConnectionOptions { ConnectTimeout = timeout }, cancellationToken: ct);
            await connection.DisposeAsync();
            throw new InvalidOperationException("the pin callback refuses every certificate, so the connect cannot succeed");
        }
        catch (ConnectException ex) when (!ex.Presented.IsEmpty)
        {
            return (ex.Presented, null);
        }
        catch (ConnectException ex)
        {
            return (null, ex);
        }
    }

    private static bool Confirm(string question)
    {
        if (Console.IsInputRedirected && Console.In.Peek() < 0)
        {
            Console.Error.WriteLine("gatehouse trust: no terminal to confirm on; use --yes or --fingerprint");
            return false;
        }

        Console.Write(question);
        string? answer = Console.ReadLine();
        return answer is not null && answer.Trim().StartsWith('y');
    }
}
