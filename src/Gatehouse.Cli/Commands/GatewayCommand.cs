using System.CommandLine;
using System.Runtime.InteropServices;
using Gatehouse.Gateway;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Membership;
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
        var logLevel = new Option<LogLevel?>("--log-level") { Description = "Minimum log level (default Information; Logging:Level)" };
        var logFormat = new Option<string?>("--log-format") { Description = "Console log format: text (default), json, or systemd (journald priorities); Logging:Format" };
        var config = new Option<string?>("--config") { Description = "JSON configuration file (e.g. /etc/gatehouse/gateway.json); GATEHOUSE__KEY__SUBKEY variables override it, flags override both (docs/operations.md)" };
        var set = new Option<string[]>("--set") { Description = "KEY=VALUE: set any configuration key, e.g. --set Limits:MaxExecProcesses=256 (repeatable)" };
        var check = new Option<bool>("--check") { Description = "Validate the configuration and exit (0 valid, 78 invalid)" };
        var printConfig = new Option<bool>("--print-config") { Description = "Print every setting's effective value and where it came from, then exit" };
        var command = new Command("gateway", "Run a gateway (zero configuration needed)") { listen, stateDir, logLevel, join, advertise, redirect, config, set, check, printConfig, logFormat };
        GatewayBackendOptions.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var flags = Flags(parse, listen, stateDir, join, advertise, redirect, logLevel, logFormat, set);
            if (flags is null)
            {
                return ExitCodes.Usage;
            }

            LoadedConfiguration loaded;
            try
            {
                loaded = GatewayConfiguration.Load(parse.GetValue(config), flags);
            }
            catch (GatewayConfigurationException ex)
            {
                foreach (string error in ex.Errors)
                {
                    Console.Error.WriteLine($"gatehouse gateway: {error}");
                }

                return GatewayConfiguration.ExitConfig;
            }

            if (parse.GetValue(printConfig))
            {
                Console.Write(GatewayConfiguration.Describe(loaded));
                return 0;
            }

            if (parse.GetValue(check))
            {
                if (loaded.Settings.Gateway.Cluster.Registry == ClusterRegistryKind.Etcd)
                {
                    try
                    {
                        loaded.Settings.Gateway.Cluster.Etcd.CheckFiles();
                    }
                    catch (IOException ex)
                    {
                        Console.Error.WriteLine($"gatehouse gateway: {ex.Message}");
                        return GatewayConfiguration.ExitConfig;
                    }
                }

                // The remctl.conf is checked as remctl-check does; findings are printed but do not
                // fail the check (the unit runs --check before every start), a file that does not load does.
                if (loaded.Settings.Gateway.CommandsFile is { } commandsFile)
                {
                    var report = Gatehouse.Commands.Configuration.MigrationCheck.Run(commandsFile);
                    if (report.LoadError is { } error)
                    {
                        Console.Error.WriteLine($"gatehouse gateway: {error}");
                        return GatewayConfiguration.ExitConfig;
                    }

                    RemctlCheckCommand.Print(report, Console.Out);
                    Console.WriteLine($"gatehouse gateway: {commandsFile}: {report.LineCount} command lines, {report.Findings.Count} findings (see gatehouse remctl-check)");
                }

                Console.WriteLine($"gatehouse gateway: configuration is valid{(parse.GetValue(config) is { } file ? $" ({file})" : string.Empty)}");
                return 0;
            }

            var options = loaded.Settings.Gateway;
            var level = new LogLevelSwitch(loaded.Settings.LogLevel);
            var systemd = new SystemdNotify();
            GatewayServer server;
            try
            {
                server = await GatewayServer.StartAsync(
                    options,
                    logging =>
                    {
                        GatewayLogging.Configure(logging, loaded.Settings.LogFormat, level);
                        // The host's own "Hosting failed to start" entry repeats, with a stack trace, the
                        // failure that is printed below in one line.
                        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
                    },
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
                using var stopping = server.ShutdownStarted.Register(systemd.Stopping);
                systemd.Ready($"listening on {string.Join(", ", server.Runtime.Listening)}");
                using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
                {
                    ctx.Cancel = true;
                    try
                    {
                        var errors = server.Runtime.Reload(); // never throws; the catch guards the console write
                        Console.Error.WriteLine(errors.Count == 0 ? "gatehouse: configuration reloaded" : "gatehouse: reload failed, previous configuration kept: " + string.Join("; ", errors));
                        foreach (string line in GatewayReload.Settings(parse.GetValue(config), flags, loaded.Settings, level))
                        {
                            Console.Error.WriteLine(line);
                        }
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

    /// <summary>The configuration keys the flags given set, or null (after a message) for a malformed --set.</summary>
    private static List<FlagValue>? Flags(ParseResult parse, Option<string[]> listen, Option<string?> stateDir, Option<string[]> join, Option<string?> advertise, Option<string[]> redirect, Option<LogLevel?> logLevel, Option<string?> logFormat, Option<string[]> set)
    {
        var flags = new List<FlagValue>();
        AddList(listen, "Listen");
        AddList(join, "Cluster:Join");
        if (parse.GetValue(stateDir) is { } dir)
        {
            flags.Add(new FlagValue("StateDirectory", dir, stateDir.Name));
        }

        if (parse.GetValue(advertise) is { } adv)
        {
            flags.Add(new FlagValue("Cluster:Advertise", adv, advertise.Name));
        }

        foreach (string r in parse.GetValue(redirect) ?? [])
        {
            int eq = r.IndexOf('=', StringComparison.Ordinal);
            flags.Add(eq < 0 ? new FlagValue("Cluster:Redirect", r, redirect.Name) : new FlagValue("Cluster:RedirectByDomain:" + r[..eq], r[(eq + 1)..], redirect.Name));
        }

        if (parse.GetValue(logLevel) is { } lvl)
        {
            flags.Add(new FlagValue("Logging:Level", lvl.ToString(), logLevel.Name));
        }

        if (parse.GetValue(logFormat) is { } fmt)
        {
            flags.Add(new FlagValue("Logging:Format", fmt, logFormat.Name));
        }

        flags.AddRange(GatewayBackendOptions.Flags(parse));
        foreach (string kv in parse.GetValue(set) ?? [])
        {
            int eq = kv.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                Console.Error.WriteLine($"gatehouse gateway: --set '{kv}': expected KEY=VALUE, e.g. Limits:MaxExecProcesses=256");
                return null;
            }

            string key = kv[..eq].Trim().Replace('.', ':');
            flags.RemoveAll(f => f.Key.Equals(key, StringComparison.OrdinalIgnoreCase) || f.Key.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase));
            flags.Add(new FlagValue(key, kv[(eq + 1)..], "--set " + key));
        }

        return flags;

        void AddList(Option<string[]> option, string key)
        {
            string[] values = parse.GetValue(option) ?? [];
            for (int i = 0; i < values.Length; i++)
            {
                flags.Add(new FlagValue($"{key}:{i}", values[i], option.Name));
            }
        }
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
        bool etcd = options.Cluster.Registry == ClusterRegistryKind.Etcd;
        Console.WriteLine($"listening    {string.Join(", ", rt.Listening)} (TCP{(etcd ? "; no UDP: the cluster registry is etcd" : "; UDP for cluster membership on the same ports")})");
        if (server.Membership?.Address is { } member)
        {
            Console.WriteLine($"member       {member}={server.Fingerprint}{(options.Cluster.Join.Count > 0 && !etcd ? $" (joining through {string.Join(", ", options.Cluster.Join.Select(j => j.Endpoint))})" : string.Empty)}");
        }

        if (etcd)
        {
            Console.WriteLine($"registry     etcd {string.Join(", ", options.Cluster.Etcd.Endpoints)}, keys under {options.Cluster.Etcd.Prefix.TrimEnd('/')}/{options.Cluster.Etcd.Cluster}/ (lease {options.Cluster.Etcd.LeaseTtl.TotalSeconds:0.#} s)");
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

        if (server.DiagnosticsEndpoint is { } diagnostics)
        {
            Console.WriteLine($"diagnostics  http://{diagnostics}/metrics, /healthz, /readyz");
        }

        if (options.Audit.Destination != Gatehouse.Gateway.Audit.AuditDestination.Off)
        {
            Console.WriteLine($"audit        {(options.Audit.Destination == Gatehouse.Gateway.Audit.AuditDestination.File ? options.Audit.Path : "to the log (category Gatehouse.Audit)")}");
        }

        if (rt.Authorized.All().Count == 0)
        {
            Console.WriteLine("no peer is authorized yet; to authorize yourself as admin, on this host run:");
            Console.WriteLine($"  gatehouse authorize --self --role admin --state-dir {options.StateDirectory}");
        }

        Console.Out.Flush();
    }
}
