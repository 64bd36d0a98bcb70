using System.CommandLine;
using System.Runtime.InteropServices;
using Gatehouse.Gateway;
using Gatehouse.Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse gateway</c>: runs a gateway. With no options it listens on every address at port
/// 7340, makes its identity in the state directory on first start and prints its fingerprint.
/// SIGHUP (or <c>gatehouse call HOST --domain gatehouse reload</c>) re-reads configuration without
/// dropping connections; SIGTERM/Ctrl-C drains open requests, then exits.
/// </summary>
internal static class GatewayCommand
{
    public static Command Create()
    {
        var listen = new Option<string[]>("--listen") { Description = "ADDR:PORT to listen on (repeatable; *:PORT for every address; default *:7340)" };
        var stateDir = CommonOptions.StateDir();
        var join = new Option<string[]>("--join") { Description = "HOST:PORT=SHA256:... of a cluster member to join through (repeatable); that member must have authorized this gateway: gatehouse authorize FINGERPRINT --name NAME --role gateway" };
        var advertise = new Option<string?>("--advertise") { Description = "ADDR[:PORT] other members reach this gateway at (default: the first specific listen address, else this host's first IPv4 address)" };
        var redirect = new Option<string[]>("--redirect") { Description = "[DOMAIN=]forward|redirect|large-input: for requests only another member serves, from clients that follow redirects, forward them (default) or answer see-other-host (always, or for calls announcing 1 MiB of input or more); repeatable, per domain" };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Minimum log level", DefaultValueFactory = _ => LogLevel.Information };
        var command = new Command("gateway", "Run a gateway (zero configuration needed)") { listen, stateDir, logLevel, join, advertise, redirect };
        GatewayBackendOptions.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var given = parse.GetValue(listen) ?? [];
            Gateway.Membership.JoinTarget[] joinTargets;
            try
            {
                joinTargets = [.. (parse.GetValue(join) ?? []).Select(Gateway.Membership.JoinTarget.Parse)];
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"gatehouse gateway: --join {ex.Message}");
                return ExitCodes.Usage;
            }

            var redirectDefault = Gateway.Membership.RedirectPolicy.Forward;
            var redirectByDomain = new Dictionary<string, Gateway.Membership.RedirectPolicy>(StringComparer.Ordinal);
            try
            {
                foreach (string r in parse.GetValue(redirect) ?? [])
                {
                    int eq = r.IndexOf('=', StringComparison.Ordinal);
                    if (eq < 0)
                    {
                        redirectDefault = Gateway.Membership.RedirectPolicies.Parse(r);
                    }
                    else
                    {
                        redirectByDomain[r[..eq]] = Gateway.Membership.RedirectPolicies.Parse(r[(eq + 1)..]);
                    }
                }
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"gatehouse gateway: --redirect {ex.Message}");
                return ExitCodes.Usage;
            }

            string[] listenAddresses;
            try
            {
                listenAddresses = given.Length > 0 ? [.. given.Select(ListenAddress)] : ["*:7340"];
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"gatehouse gateway: --listen {ex.Message}");
                return ExitCodes.Usage;
            }

            GatewayOptions options;
            try
            {
                options = GatewayBackendOptions.Apply(parse, new GatewayOptions
                {
                    Listen = listenAddresses,
                    StateDirectory = parse.GetValue(stateDir) ?? GatewayOptions.DefaultStateDirectory(),
                    Cluster = new Gateway.Membership.ClusterOptions { Join = joinTargets, Advertise = parse.GetValue(advertise), Redirect = redirectDefault, RedirectByDomain = redirectByDomain },
                });
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"gatehouse gateway: --remctl-listen {ex.Message}");
                return ExitCodes.Usage;
            }
            GatewayServer server;
            try
            {
                server = await GatewayServer.StartAsync(
                    options,
                    // The host's own "Hosting failed to start" entry repeats, with a stack trace, the
                    // failure that is printed below in one line.
                    logging => logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(parse.GetValue(logLevel))
                        .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical),
                    configure: null,
                    ct);
            }
            catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                Console.Error.WriteLine($"gatehouse gateway: cannot listen on {BindAddress(ex, options)}: address already in use (another gateway, or another program, has that port)");
                return ExitCodes.Failure;
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                Console.Error.WriteLine($"gatehouse gateway: cannot listen on {string.Join(", ", options.Listen.Append(options.RemctlListen).OfType<string>())}: {ex.Message}");
                return ExitCodes.Failure;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException or ArgumentException
                or Gatehouse.Commands.Configuration.ConfigurationException or Gatehouse.Remctl.RemctlException)
            {
                Console.Error.WriteLine($"gatehouse gateway: {ex.Message}");
                return ExitCodes.Failure;
            }

            await using (server)
            {
                PrintBanner(server, options);
                using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
                {
                    ctx.Cancel = true;
                    try
                    {
                        var errors = server.Runtime.Reload(); // never throws; the catch guards the console write
                        Console.Error.WriteLine(errors.Count == 0 ? "gatehouse: configuration reloaded" : "gatehouse: reload failed, previous configuration kept: " + string.Join("; ", errors));
                    }
                    catch (IOException)
                    {
                        // stderr is gone (closed pipe): the reload itself happened and is logged.
                    }
                });
                await server.WaitForShutdownAsync(ct);
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// A --listen value: ADDR:PORT, *:PORT, [v6]:PORT, or a bare PORT, which means every address
    /// (<c>17347</c> used to be read as the IPv4 address 0.0.67.195).
    /// </summary>
    /// <exception cref="FormatException">Not an address the gateway can listen on.</exception>
    internal static string ListenAddress(string value)
    {
        string listen = value.Length > 0 && value.All(char.IsAsciiDigit) ? "*:" + value : value;
        GatewayServer.ParseListen(listen); // throws FormatException with the reason
        return listen;
    }

    /// <summary>The address a bind failure names (Kestrel says "https://ADDR:PORT", which this listener is not).</summary>
    private static string BindAddress(IOException ex, GatewayOptions options)
    {
        var match = System.Text.RegularExpressions.Regex.Match(ex.Message, @"https?://(?<address>\S+?):? ");
        return match.Success ? match.Groups["address"].Value.TrimEnd(':') : string.Join(", ", options.Listen);
    }

    private static void PrintBanner(GatewayServer server, GatewayOptions options)
    {
        var rt = server.Runtime;
        Console.WriteLine($"gatehouse gateway {GatewayRuntime.Version}");
        Console.WriteLine($"fingerprint  {server.Fingerprint}");
        Console.WriteLine($"identity     {Path.Combine(options.StateDirectory, Transport.Security.PeerIdentity.CertificateFileName)}{(server.IdentityCreated ? " (created)" : string.Empty)}");
        Console.WriteLine($"listening    {string.Join(", ", rt.Listening)} (TCP; UDP for cluster membership on the same ports)");
        if (server.Membership?.Address is { } member)
        {
            Console.WriteLine($"member       {member}={server.Fingerprint}{(options.Cluster.Join.Count > 0 ? $" (joining through {string.Join(", ", options.Cluster.Join.Select(j => j.Endpoint))})" : string.Empty)}");
        }

        int peers = rt.Authorized.All().Count;
        Console.WriteLine($"authorized   {options.AuthorizedPath} ({peers} {(peers == 1 ? "peer" : "peers")})");
        if (options.CommandsFile is not null)
        {
            Console.WriteLine($"commands     {options.CommandsFile}");
        }

        if (server.RemctlEndpoint is { } remctl)
        {
            Console.WriteLine($"remctl       {remctl} (Kerberos; keytab {options.RemctlKeytab ?? "default"})");
        }
        if (rt.Authorized.All().Count == 0)
        {
            Console.WriteLine("no peer is authorized yet; to authorize yourself as admin, on this host run:");
            Console.WriteLine($"  gatehouse authorize --self --role admin --state-dir {options.StateDirectory}");
        }

        Console.Out.Flush();
    }
}
