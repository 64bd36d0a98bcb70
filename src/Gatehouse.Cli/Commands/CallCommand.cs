using System.CommandLine;
using System.Globalization;
using System.Text;
using Gatehouse.Cli.CommandLine;
using Gatehouse.Cli.Fanout;
using Gatehouse.Client;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Commands;

/// <summary>The options of <c>call</c>, shared with the fan-out path.</summary>
internal static class CallOptions
{
    /// <summary>Default connect timeout: 1 s (seed 003's), for TCP, TLS and HELLO together.</summary>
    public const double DefaultConnectTimeoutSeconds = 1;

    /// <summary>Default connection retries: 2, so a node that never answers costs at most 3 connect timeouts and 0.3 s of backoff.</summary>
    public const int DefaultRetries = 2;

    /// <summary>Longest backoff between two connect attempts.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    public static readonly Option<string> Domain = new("--domain", "-d") { Description = "Domain of the command", DefaultValueFactory = _ => RequestHeader.DefaultDomain, HelpName = "DOMAIN" };
    public static readonly Option<string?> Fingerprint = CommonOptions.Fingerprint();
    public static readonly Option<TimeSpan?> Deadline = OptionValues.Seconds("--deadline", ["-u"], "Seconds the command may run (clush -u); then it is cancelled and the call ends with status 124", null, ConnectionOptions.MaxCallDeadline.TotalSeconds);
    public static readonly Option<TimeSpan?> ConnectTimeout = OptionValues.Seconds("--connect-timeout", ["-t"], "Seconds for each connect attempt: TCP, TLS and HELLO (clush -t)", DefaultConnectTimeoutSeconds, ConnectionOptions.MaxConnectTimeout.TotalSeconds);
    public static readonly Option<int> Retries = OptionValues.Count("--retries", [], $"Connect attempts after the first fails (0..{ConnectionOptions.MaxRetriesLimit})", DefaultRetries, 0, ConnectionOptions.MaxRetriesLimit);
    public static readonly Option<bool> Stdin = new("--stdin") { Description = "Send this command's standard input to the remote command (with -w: to every node), streamed" };
    public static readonly Option<string?> ConfigDir = CommonOptions.ConfigDir();
}

/// <summary>
/// <c>gatehouse call [options] HOST[:PORT] COMMAND [ARGS...]</c>: runs COMMAND on one gateway,
/// printing stdout and stderr live to the matching streams and exiting with the remote exit status
/// (error statuses map to the codes in <see cref="ExitCodes"/>). Everything after COMMAND is passed
/// to it verbatim, options included. With <c>-w NODESET</c>, on many nodes (<see cref="FanoutCall"/>).
/// </summary>
internal static class CallCommand
{
    public static Command Create()
    {
        var words = new Argument<string[]>("words") { Description = "HOST[:PORT] COMMAND [ARGS...] (HOST is left out with -w)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("call", "Run a command through a gateway, on one node or (with -w) on many")
        {
            words, CallOptions.Domain, CallOptions.Fingerprint, CallOptions.Deadline, CallOptions.ConnectTimeout, CallOptions.Retries, CallOptions.Stdin, CallOptions.ConfigDir,
        };
        var fanout = new FanoutOptions();
        fanout.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var all = parse.GetValue(words) ?? [];
            if (fanout.IsFanout(parse))
            {
                return await FanoutCall.RunAsync(parse, fanout, all, ct);
            }

            if (all.Length < 2)
            {
                throw new CliException("usage: gatehouse call [options] HOST[:PORT] COMMAND [ARGS...]", ExitCodes.Usage);
            }

            Endpoint endpoint;
            try
            {
                endpoint = Endpoint.Parse(all[0]);
            }
            catch (FormatException ex)
            {
                throw new CliException(ex.Message, ExitCodes.Usage, ex);
            }

            using var identity = CliPaths.LoadIdentity(parse.GetValue(CallOptions.ConfigDir));
            var options = BuildClientOptions(identity, parse);
            var runner = new GatehouseNodeRunner(options, Request(parse, all[1..]));
            return await RunOneAsync(runner, endpoint.ToString(), parse.GetValue(CallOptions.Stdin), ct);
        });
        return command;
    }

    /// <summary>The request of <c>call</c>: COMMAND ARGS, domain, deadline, and whether stdin is streamed.</summary>
    internal static CallRequest Request(ParseResult parse, string[] words) => new(words[0], words[1..])
    {
        Domain = parse.GetValue(CallOptions.Domain)!,
        Deadline = parse.GetValue(CallOptions.Deadline),
        StreamsStdin = parse.GetValue(CallOptions.Stdin),
    };

    /// <summary>Client options for the CLI user: pinned by --fingerprint, else by known_hosts; timeouts and retries from the options.</summary>
    /// <exception cref="CliException">--fingerprint is not a fingerprint (64).</exception>
    internal static ClientOptions BuildClientOptions(PeerIdentity identity, ParseResult parse)
    {
        string? fingerprint = parse.GetValue(CallOptions.Fingerprint);
        string? configDir = parse.GetValue(CallOptions.ConfigDir);
        Func<Endpoint, Fingerprint?> pins;
        IPinRollover? rollover = null;
        if (fingerprint is not null)
        {
            if (!Transport.Security.Fingerprint.TryParse(fingerprint, out var fp))
            {
                throw new CliException($"'{fingerprint}' is not a fingerprint (SHA256:<base64> or 64 hex digits)", ExitCodes.Usage);
            }

            pins = ClientOptions.PinTo(fp);
        }
        else
        {
            var knownHosts = new KnownHosts(CliPaths.KnownHostsPath(configDir));
            rollover = knownHosts; // successors announced by pinned gateways are recorded there (key rotation)
            pins = endpoint =>
            {
                try
                {
                    return knownHosts.Find(endpoint.ToString());
                }
                catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
                {
                    throw new CliException($"known_hosts {knownHosts.Path}: {ex.Message}", ExitCodes.LocalConfig, ex);
                }
            };
        }

        return new ClientOptions
        {
            Identity = identity,
            Pins = pins,
            Rollover = rollover,
            Connection = ConnectionOptions.Default with
            {
                ConnectTimeout = parse.GetValue(CallOptions.ConnectTimeout) ?? TimeSpan.FromSeconds(CallOptions.DefaultConnectTimeoutSeconds),
                MaxRetries = parse.GetValue(CallOptions.Retries),
                MaxBackoff = CallOptions.MaxBackoff,
            },
        };
    }

    /// <summary>One node: output passed through as it comes, stdin streamed, one line for a failure.</summary>
    private static async Task<int> RunOneAsync(GatehouseNodeRunner runner, string node, bool stdin, CancellationToken ct)
    {
        using var output = new DirectOutput();
        var broadcast = stdin ? new StdinBroadcast(Console.OpenStandardInput(), 1) : null;
        var feeding = broadcast?.RunAsync(ct) ?? Task.CompletedTask;
        var outcome = await runner.RunAsync(node, output, broadcast, ct);
        output.EndLine();
        switch (outcome.Kind)
        {
            case OutcomeKind.Exited:
                break;
            case OutcomeKind.NotConnected when outcome.Cause is { Failure: ConnectFailure.FingerprintMismatch } mismatch:
                ReportFingerprintChanged(mismatch);
                break;
            case OutcomeKind.NotConnected when outcome.Cause is { Failure: ConnectFailure.NotTrusted } untrusted:
                Console.Error.WriteLine($"gatehouse: {untrusted.Message}"); // names the trust command for this host
                break;
            case OutcomeKind.Interrupted:
                Console.Error.WriteLine($"gatehouse: {node}: interrupted");
                break;
            default:
                Console.Error.WriteLine($"gatehouse: {node}: {outcome.Message}");
                break;
        }

        if (!feeding.IsCompleted)
        {
            // The call ended before its input did; the rest of the input is not read.
            _ = feeding.ContinueWith(static t => t.Exception, TaskScheduler.Default);
        }

        return outcome.Status;
    }

    /// <summary>Prints a changed fingerprint loudly, like SSH.</summary>
    internal static void ReportFingerprintChanged(ConnectException ex)
    {
        Console.Error.WriteLine("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
        Console.Error.WriteLine("@   WARNING: THE GATEWAY'S FINGERPRINT HAS CHANGED!         @");
        Console.Error.WriteLine("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
        Console.Error.WriteLine($"gatehouse: {ex.Message}. Refusing to connect.");
        Console.Error.WriteLine("If the gateway's identity was replaced on purpose, check the new fingerprint out of band and run 'gatehouse trust'.");
    }

    /// <summary>Decodes arguments for display.</summary>
    internal static string Show(IEnumerable<string> words) => string.Join(' ', words.Select(w => w.Contains(' ', StringComparison.Ordinal) ? $"'{w}'" : w));

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
