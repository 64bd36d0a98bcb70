using System.CommandLine;
using System.Globalization;
using Gatehouse.Client;
using Gatehouse.Gateway;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse rotate-identity</c>: key rotation with pin rollover (docs/security.md, "Key rotation").
/// On a gateway host (default): makes the next key and lets the running gateway announce it
/// (<c>--grace</c>, <c>--commit</c>, <c>--status</c>, <c>--abort</c>). With <c>--peer HOST...</c>: rotates
/// your own (client or service) identity, moving its grant on each gateway to the new key.
/// </summary>
internal static class RotateIdentityCommand
{
    public static Command Create()
    {
        var grace = new Option<string?>("--grace") { Description = "Gateway: time between the announcement and the takeover, e.g. 90s, 30m, 12h, 7d (default 7d)" };
        var commit = new Option<bool>("--commit") { Description = "Gateway: the announced key takes over now (within a second)" };
        var status = new Option<bool>("--status") { Description = "Gateway: show the rotation under way" };
        var abort = new Option<bool>("--abort") { Description = "Gateway: abandon the rotation under way (the next key is deleted)" };
        var peer = new Option<string[]>("--peer") { Description = "Rotate your own identity instead: HOST[:PORT] of each gateway that grants it (repeat or comma-separate)", AllowMultipleArgumentsPerToken = true };
        var stateDir = CommonOptions.StateDir();
        var configDir = CommonOptions.ConfigDir();
        var timeout = CommonOptions.ConnectTimeout(TrustCommand.DefaultConnectTimeoutSeconds);
        var command = new Command("rotate-identity", "Rotate a gateway's key (announced to its peers first) or, with --peer, your own key (its grants move with it)")
        {
            grace, commit, status, abort, peer, stateDir, configDir, timeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(peer) is { Length: > 0 } gateways)
            {
                return await RotatePeerAsync(gateways.SelectMany(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToArray(), parse.GetValue(configDir),
                    CommandLine.OptionValues.SecondsOr(parse, timeout, TrustCommand.DefaultConnectTimeoutSeconds), ct);
            }

            string dir = parse.GetValue(stateDir) ?? GatewayOptions.DefaultStateDirectory();
            try
            {
                return Gateway(dir, parse.GetValue(grace), parse.GetValue(commit), parse.GetValue(status), parse.GetValue(abort));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException
                or System.Security.Cryptography.CryptographicException)
            {
                Console.Error.WriteLine("gatehouse rotate-identity: " + ex.Message);
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    private static int Gateway(string dir, string? graceText, bool commit, bool status, bool abort)
    {
        if (!File.Exists(Path.Combine(dir, PeerIdentity.KeyFileName)))
        {
            Console.Error.WriteLine($"gatehouse rotate-identity: no gateway identity in {dir} (--state-dir)");
            return ExitCodes.LocalConfig;
        }

        if (status)
        {
            var plan = IdentityRotation.ReadPlan(dir);
            Console.WriteLine(plan is null
                ? "no rotation under way"
                : $"next {plan.Next}\nstarted {PeerGrant.FormatTime(plan.Started)}\ntakes over {PeerGrant.FormatTime(plan.CommitAt)}");
            return 0;
        }

        if (abort)
        {
            Console.WriteLine(IdentityRotation.Abort(dir) ? "rotation abandoned; the next key was deleted" : "no rotation under way");
            return 0;
        }

        if (commit)
        {
            if (IdentityRotation.CommitNow(dir, DateTimeOffset.UtcNow) is not { } plan)
            {
                Console.Error.WriteLine("gatehouse rotate-identity: no rotation under way (start one first)");
                return 1;
            }

            Console.WriteLine($"{plan.Next} takes over now: the running gateway presents it to new connections within a second");
            return 0;
        }

        var grace = IdentityRotation.DefaultGrace;
        if (graceText is not null && !TryDuration(graceText, out grace))
        {
            Console.Error.WriteLine($"gatehouse rotate-identity: --grace '{graceText}': give a duration such as 90s, 30m, 12h or 7d");
            return ExitCodes.Usage;
        }

        var started = IdentityRotation.Begin(dir, grace, DateTimeOffset.UtcNow);
        Console.WriteLine($"next key {started.Next}");
        Console.WriteLine($"The running gateway announces it (signed by its current key) to every peer within a second;");
        Console.WriteLine($"it takes over at {PeerGrant.FormatTime(started.CommitAt)} (gatehouse rotate-identity --commit to switch sooner).");
        return 0;
    }

    /// <summary>Parses <c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c> (0 allowed: take over at once).</summary>
    internal static bool TryDuration(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length < 2 || !double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n) || n > 3650 * 86400)
        {
            return false;
        }

        double? seconds = text[^1] switch { 's' => n, 'm' => n * 60, 'h' => n * 3600, 'd' => n * 86400, _ => null };
        if (seconds is not { } s || s > 3650 * 86400.0)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(s);
        return true;
    }

    /// <summary>
    /// Rotates this user's identity: makes the next key beside the current one (or reuses one left by
    /// an interrupted run), asks each gateway to move the grant (a statement signed by both keys), and
    /// replaces the key files once every gateway moved it.
    /// </summary>
    private static async Task<int> RotatePeerAsync(string[] gateways, string? configDir, TimeSpan timeout, CancellationToken ct)
    {
        string dir = CliPaths.ConfigDirectory(configDir);
        string nextKey = Path.Combine(dir, IdentityRotation.NextKeyFileName);
        string nextCert = Path.Combine(dir, IdentityRotation.NextCertificateFileName);
        using var current = CliPaths.LoadIdentity(configDir);
        PeerIdentity next;
        try
        {
            next = File.Exists(nextKey) && File.Exists(nextCert)
                ? PeerIdentity.Load(nextCert, nextKey)
                : PeerIdentity.CreateFiles(nextKey, nextCert, current.CommonName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            Console.Error.WriteLine($"gatehouse rotate-identity: cannot make the next key in {dir}: {ex.Message}");
            return ExitCodes.LocalConfig;
        }

        using (next)
        {
            string statement = Convert.ToBase64String(SuccessorStatement.Sign(SuccessorPurpose.Peer, current, next, DateTimeOffset.UtcNow));
            var knownHosts = new KnownHosts(CliPaths.KnownHostsPath(configDir));
            int failed = 0;
            foreach (string gateway in gateways)
            {
                string? problem = await MoveGrantAsync(gateway, current, next, statement, knownHosts, timeout, ct);
                if (problem is null)
                {
                    Console.WriteLine($"{gateway}: grant moved to {next.Fingerprint}");
                }
                else
                {
                    failed++;
                    Console.Error.WriteLine($"{gateway}: {problem}");
                }
            }

            if (failed > 0)
            {
                Console.Error.WriteLine($"gatehouse rotate-identity: {failed} of {gateways.Length} gateways did not move the grant; your key is unchanged (the next key stays in {dir}: run the same command again)");
                return ExitCodes.ConnectionFailed;
            }

            File.Move(nextKey, Path.Combine(dir, PeerIdentity.KeyFileName), overwrite: true);
            File.Move(nextCert, Path.Combine(dir, PeerIdentity.CertificateFileName), overwrite: true);
            Console.WriteLine($"your identity is now {next.Fingerprint} (was {current.Fingerprint})");
            return 0;
        }
    }

    /// <summary>Asks one gateway to move the grant; a gateway that already did (an earlier run) is recognised by the next key's whoami. Null on success.</summary>
    private static async Task<string?> MoveGrantAsync(string gateway, PeerIdentity current, PeerIdentity next, string statement, KnownHosts knownHosts, TimeSpan timeout, CancellationToken ct)
    {
        Endpoint endpoint;
        Fingerprint? pin;
        try
        {
            endpoint = Endpoint.Parse(gateway);
            pin = knownHosts.Find(endpoint.ToString());
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }

        if (pin is not { } pinned)
        {
            return $"no fingerprint is pinned; run 'gatehouse trust {gateway}' first";
        }

        ClientOptions Options(PeerIdentity identity) => new()
        {
            Identity = identity,
            Pins = ClientOptions.PinTo(pinned),
            Connection = ConnectionOptions.Default with { ConnectTimeout = timeout, MaxRetries = 0 },
        };
        try
        {
            await using var client = new GatehouseClient(endpoint, Options(current));
            var result = await client.CallAsync(new CallRequest("rotate-peer", statement) { Domain = RequestHeader.ControlDomain }, ct);
            return result.Status.IsSuccess ? null : result.Status.Message;
        }
        catch (ConnectException first)
        {
            // Refused with the current key: perhaps an earlier run moved the grant already.
            try
            {
                await using var client = new GatehouseClient(endpoint, Options(next));
                var result = await client.CallAsync(new CallRequest("whoami") { Domain = RequestHeader.ControlDomain }, ct);
                return result.Status.IsSuccess ? null : first.Message;
            }
            catch (ConnectException)
            {
                return first.Message;
            }
        }
    }
}
