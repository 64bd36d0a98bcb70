using System.CommandLine;
using Gatehouse.Cli.CommandLine;
using Gatehouse.Cli.Fanout;
using Gatehouse.Client;
using Gatehouse.Remctl;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse remctl [-p PORT] [-s PRINCIPAL] HOST COMMAND [ARGS...]</c>: calls a remctl server
/// (stock remctld, or a gatehouse remctl port) with your Kerberos credentials, like the stock
/// <c>remctl</c> client: output streams to stdout/stderr; the exit status is the command's; a remctl
/// error prints its message and exits 255. With <c>-w NODESET</c> it fans out exactly like
/// <c>call -w</c> (same gathering options, folded failures, exit status rules), one remctl call per
/// node (HOST or HOST:PORT); <c>-w @cluster --via GATEWAY</c> calls each live member's host on the
/// remctl port it gossips and skips members without one.
/// </summary>
internal static class RemctlCommand
{
    /// <summary>Default connect timeout (TCP and the Kerberos handshake): 5 s.</summary>
    public const double DefaultConnectTimeoutSeconds = 5;

    /// <summary>Default longest wait for each reply: 60 s.</summary>
    public const double DefaultTimeoutSeconds = 60;

    public static Command Create()
    {
        var words = new Argument<string[]>("words") { Description = "HOST COMMAND [ARGS...] (HOST is left out with -w)", Arity = ArgumentArity.OneOrMore };
        var port = OptionValues.Port("--port", ["-p"], "Server port (a node's own :PORT wins)", 4373);
        var principal = new Option<string?>("--principal", "-s") { Description = "Server principal (default host/HOST)", HelpName = "PRINCIPAL" };
        var connectTimeout = OptionValues.Seconds("--connect-timeout", ["-t"], "Seconds for the connection and the Kerberos handshake (clush -t)", DefaultConnectTimeoutSeconds, ConnectionOptions.MaxConnectTimeout.TotalSeconds);
        var timeout = OptionValues.Seconds("--timeout", ["-u"], "Longest wait, in seconds, for each reply of the server while the command runs (clush -u)", DefaultTimeoutSeconds, ConnectionOptions.MaxCallDeadline.TotalSeconds);
        var configDir = CommonOptions.ConfigDir();
        var fingerprint = new Option<string?>("--via-fingerprint") { Description = "For @cluster: pin this fingerprint for the --via gateway instead of known_hosts", HelpName = "FINGERPRINT" };
        var command = new Command("remctl", "Call remctl servers (Kerberos), like the stock remctl client; with -w, many at once") { words, port, principal, connectTimeout, timeout, configDir, fingerprint };
        var fanout = new FanoutOptions();
        fanout.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var all = parse.GetValue(words) ?? [];
            var options = new RemctlClientOptions
            {
                Port = parse.GetValue(port),
                ServerPrincipal = parse.GetValue(principal),
                ConnectTimeout = OptionValues.SecondsOr(parse, connectTimeout, DefaultConnectTimeoutSeconds),
                Timeout = OptionValues.SecondsOr(parse, timeout, DefaultTimeoutSeconds),
            };
            if (fanout.IsFanout(parse))
            {
                if (all.Length < 1)
                {
                    throw new CliException("usage: gatehouse remctl -w NODESET [options] COMMAND [ARGS...]", ExitCodes.Usage);
                }

                var settings = fanout.Settings(parse, stdin: false);
                string? dir = parse.GetValue(configDir);
                PeerIdentity? identity = null;
                try
                {
                    var targets = await TargetNodes.ResolveAsync(parse, fanout, dir, () => ViaOptions(identity = CliPaths.LoadIdentity(dir), dir, parse.GetValue(fingerprint)), remctl: true, ct);
                    FanoutCall.CheckNodes(targets, settings);
                    foreach (string node in targets.Nodes)
                    {
                        try
                        {
                            RemctlNodeRunner.Split(node, options.Port);
                        }
                        catch (FormatException ex)
                        {
                            throw new CliException(ex.Message, ExitCodes.Usage, ex);
                        }
                    }

                    return await FanoutRunner.RunAsync(targets.Nodes, targets.Early, new RemctlNodeRunner(options, all), settings, ct);
                }
                finally
                {
                    identity?.Dispose();
                }
            }

            if (all.Length < 2)
            {
                throw new CliException("usage: gatehouse remctl [-p PORT] [-s PRINCIPAL] HOST COMMAND [ARGS...]", ExitCodes.Usage);
            }

            string host = all[0];
            using var output = new DirectOutput();
            var outcome = await new RemctlNodeRunner(options, all[1..]).RunAsync(host, output, null, ct);
            output.EndLine();
            if (outcome.Kind == OutcomeKind.Exited)
            {
                return outcome.Status;
            }

            Console.Error.WriteLine($"gatehouse remctl: {host}:{options.Port}: {outcome.Message}");
            return outcome.Kind == OutcomeKind.Interrupted ? ExitCodes.Interrupted : ExitCodes.ConnectionFailed; // as the stock client: any remctl error is 255
        });
        return command;
    }

    /// <summary>Client options to ask the <c>--via</c> gateway for its members (your identity, known_hosts or a given pin).</summary>
    private static ClientOptions ViaOptions(PeerIdentity identity, string? configDir, string? fingerprint)
    {
        Func<Endpoint, Fingerprint?> pins;
        if (fingerprint is not null)
        {
            if (!Fingerprint.TryParse(fingerprint, out var fp))
            {
                throw new CliException($"'{fingerprint}' is not a fingerprint (SHA256:<base64> or 64 hex digits)", ExitCodes.Usage);
            }

            pins = ClientOptions.PinTo(fp);
        }
        else
        {
            pins = ClientOptions.PinFrom(new KnownHosts(CliPaths.KnownHostsPath(configDir)));
        }

        return new ClientOptions
        {
            Identity = identity,
            Pins = pins,
            Connection = ConnectionOptions.Default with { MaxRetries = CallOptions.DefaultRetries, MaxBackoff = CallOptions.MaxBackoff },
        };
    }
}
