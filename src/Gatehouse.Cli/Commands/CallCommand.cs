using System.CommandLine;
using System.Text;
using Gatehouse.Client;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse call [options] HOST[:PORT] COMMAND [ARGS...]</c>: runs COMMAND on one gateway,
/// printing stdout and stderr live to the matching streams and exiting with the remote exit status
/// (error statuses map to the codes in <see cref="ExitCodes"/>). Everything after COMMAND is passed
/// to it verbatim, options included.
/// </summary>
/// <summary>The options of <c>call</c>, shared with the fan-out path.</summary>
internal static class CallOptions
{
    public static readonly Option<string> Domain = new("--domain", "-d") { Description = "Domain of the command", DefaultValueFactory = _ => RequestHeader.DefaultDomain };
    public static readonly Option<string?> Fingerprint = CommonOptions.Fingerprint();
    public static readonly Option<double?> Deadline = new("--deadline") { Description = "Seconds the call may take; the backend is cancelled after that" };
    public static readonly Option<double> ConnectTimeout = CommonOptions.ConnectTimeout();
    public static readonly Option<int> Retries = new("--retries") { Description = "Connection attempts after the first fails", DefaultValueFactory = _ => 2 };
    public static readonly Option<bool> Stdin = new("--stdin") { Description = "Send this command's standard input as the remote command's stdin" };
    public static readonly Option<string?> ConfigDir = CommonOptions.ConfigDir();

    public static TimeSpan? DeadlineOf(ParseResult parse) => parse.GetValue(Deadline) is { } d ? TimeSpan.FromSeconds(d) : null;
}

internal static class CallCommand
{
    /// <summary>Options of <c>call</c> that take a value (for <see cref="Program.Preprocess"/>).</summary>
    public static readonly string[] ValueOptions = ["--domain", "-d", "--fingerprint", "--deadline", "--connect-timeout", "--config-dir", "--retries", "-w", "--nodes", "--groups", "--fanout", "--via"];

    public static Command Create()
    {
        var words = new Argument<string[]>("words") { Description = "HOST[:PORT] COMMAND [ARGS...] (HOST is left out with -w)", Arity = ArgumentArity.OneOrMore };
        var domain = CallOptions.Domain;
        var fingerprint = CallOptions.Fingerprint;
        var deadline = CallOptions.Deadline;
        var timeout = CallOptions.ConnectTimeout;
        var retries = CallOptions.Retries;
        var stdin = CallOptions.Stdin;
        var configDir = CallOptions.ConfigDir;
        var command = new Command("call", "Run a command through a gateway, on one node or (with -w) on many") { words, domain, fingerprint, deadline, timeout, retries, stdin, configDir };
        FanoutOptions.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var all = parse.GetValue(words) ?? [];
            if (FanoutOptions.IsFanout(parse))
            {
                return await FanoutCall.RunAsync(parse, all, ct);
            }

            if (all.Length < 2)
            {
                Console.Error.WriteLine("gatehouse call: usage: gatehouse call [options] HOST[:PORT] COMMAND [ARGS...]");
                return ExitCodes.Usage;
            }

            Endpoint endpoint;
            try
            {
                endpoint = Endpoint.Parse(all[0]);
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine("gatehouse call: " + ex.Message);
                return ExitCodes.Usage;
            }

            using var identity = CliPaths.LoadIdentity(parse.GetValue(configDir));
            var options = BuildClientOptions(identity, parse.GetValue(fingerprint), parse.GetValue(configDir), parse.GetValue(timeout), parse.GetValue(retries), parse.GetValue(deadline));
            if (options is null)
            {
                return ExitCodes.Usage;
            }

            var request = new CallRequest(all[1], all[2..])
            {
                Domain = parse.GetValue(domain)!,
                Deadline = parse.GetValue(deadline) is { } d ? TimeSpan.FromSeconds(d) : null,
                Stdin = parse.GetValue(stdin) ? await ReadAllStdinAsync(ct) : null,
            };
            await using var client = new GatehouseClient(endpoint, options);
            return await RunOneAsync(client, request, ct);
        });
        return command;
    }

    /// <summary>Client options for the CLI user: pinned by --fingerprint, else by known_hosts.</summary>
    /// <remarks>
    /// Values outside the client library's limits (<see cref="ConnectionOptions.Validate"/>) print one line naming
    /// the option and return null, instead of the library's exception.
    /// </remarks>
    internal static ClientOptions? BuildClientOptions(PeerIdentity identity, string? fingerprint, string? configDir, double connectTimeout, int retries, double? deadline = null)
    {
        if (!(connectTimeout > 0 && connectTimeout <= ConnectionOptions.MaxConnectTimeout.TotalSeconds))
        {
            Console.Error.WriteLine($"gatehouse: --connect-timeout must be more than 0 and at most {ConnectionOptions.MaxConnectTimeout.TotalSeconds:0} seconds");
            return null;
        }

        if (retries is < 0 or > ConnectionOptions.MaxRetriesLimit)
        {
            Console.Error.WriteLine($"gatehouse: --retries must be 0..{ConnectionOptions.MaxRetriesLimit}");
            return null;
        }

        if (deadline is { } d && !(d > 0 && d <= ConnectionOptions.MaxCallDeadline.TotalSeconds))
        {
            Console.Error.WriteLine($"gatehouse: --deadline must be more than 0 and at most {ConnectionOptions.MaxCallDeadline.TotalSeconds:0} seconds");
            return null;
        }

        Func<Endpoint, Fingerprint?> pins;
        if (fingerprint is not null)
        {
            if (!Fingerprint.TryParse(fingerprint, out var fp))
            {
                Console.Error.WriteLine($"gatehouse: '{fingerprint}' is not a fingerprint (SHA256:<base64> or 64 hex digits)");
                return null;
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
            Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(connectTimeout), MaxRetries = retries, MaxBackoff = TimeSpan.FromSeconds(5) },
        };
    }

    private static async Task<int> RunOneAsync(GatehouseClient client, CallRequest request, CancellationToken ct)
    {
        using var stdout = Console.OpenStandardOutput();
        using var stderr = Console.OpenStandardError();
        try
        {
            await using var call = await client.StartCallAsync(request, ct);
            await foreach (var chunk in call.ReadOutputAsync(ct))
            {
                var target = chunk.Stream == 2 ? stderr : stdout;
                await target.WriteAsync(chunk.Data, CancellationToken.None);
                await target.FlushAsync(CancellationToken.None);
            }

            var status = await call.Completion;
            if (status.IsError)
            {
                Console.Error.WriteLine($"gatehouse: {client.Endpoint}: {status.Message} (error {status.Code})");
            }

            return ExitCodes.For(status);
        }
        catch (ConnectException ex)
        {
            ReportConnectFailure(ex);
            return ExitCodes.For(ex);
        }
    }

    /// <summary>Prints a connection failure; a changed fingerprint is reported loudly, like SSH.</summary>
    internal static void ReportConnectFailure(ConnectException ex)
    {
        if (ex.Failure == ConnectFailure.FingerprintMismatch)
        {
            Console.Error.WriteLine("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
            Console.Error.WriteLine("@   WARNING: THE GATEWAY'S FINGERPRINT HAS CHANGED!         @");
            Console.Error.WriteLine("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
            Console.Error.WriteLine($"gatehouse: {ex.Message}. Refusing to connect.");
            Console.Error.WriteLine("If the gateway's identity was replaced on purpose, check the new fingerprint out of band and run 'gatehouse trust'.");
            return;
        }

        Console.Error.WriteLine($"gatehouse: {ex.Message}");
    }

    private static async Task<byte[]> ReadAllStdinAsync(CancellationToken ct)
    {
        using var input = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    /// <summary>Decodes arguments for display.</summary>
    internal static string Show(IEnumerable<string> words) => string.Join(' ', words.Select(w => w.Contains(' ', StringComparison.Ordinal) ? $"'{w}'" : w));

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
