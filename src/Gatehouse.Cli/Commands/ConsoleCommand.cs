using System.CommandLine;
using Gatehouse.Cli.CommandLine;
using Gatehouse.WebConsole;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse console</c>: the web console (docs/console.md). A local web server that shows the
/// cluster <c>--via</c> names (or the <c>-w</c> node sets) and runs commands on it, acting with your
/// identity and known_hosts through the native protocol, exactly as <c>gatehouse call</c> does. It
/// prints a URL with a one-time token and serves until Ctrl-C.
/// </summary>
internal static class ConsoleCommand
{
    /// <summary>Default connect timeout of the console's calls: 2 s, one attempt (a page says at once that a gateway is down).</summary>
    public const double DefaultConnectTimeoutSeconds = 2;

    public static Command Create()
    {
        var listen = new Option<string>("--listen", "-l")
        {
            Description = "Where the web server listens: HOST:PORT (an IP address, localhost or *), or a port on 127.0.0.1; port 0 picks a free one",
            HelpName = "HOST:PORT",
            DefaultValueFactory = _ => "127.0.0.1:0",
        };
        var via = new Option<string?>("--via") { Description = "The gateway whose cluster to show and use for @cluster (needs the admin role there)", HelpName = "GATEWAY" };
        var nodes = new Option<string[]>("--nodes", "-w") { Description = "Nodes to show beside (or without) a cluster: a node set, repeatable", HelpName = "NODESET", AllowMultipleArgumentsPerToken = false };
        var groups = new Option<string?>("--groups") { Description = "Groups file for @group names (default: groups in your config directory)", HelpName = "FILE" };
        var configDir = CommonOptions.ConfigDir();
        var timeout = CommonOptions.ConnectTimeout(DefaultConnectTimeoutSeconds);
        var command = new Command("console", "Serve the web console: the cluster's members, services, runs and metrics, in your browser")
        {
            listen, via, nodes, groups, configDir, timeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            string[] nodeSets = parse.GetValue(nodes) ?? [];
            string? viaGateway = parse.GetValue(via);
            if (viaGateway is null && nodeSets.Length == 0)
            {
                Console.Error.WriteLine("gatehouse console: give --via GATEWAY (a member of the cluster to show) or -w NODESET");
                return ExitCodes.Usage;
            }

            string? dir = parse.GetValue(configDir);
            using var identity = CliPaths.LoadIdentity(dir);
            ConsoleOptions options;
            try
            {
                options = new ConsoleOptions
                {
                    Identity = identity,
                    KnownHostsPath = CliPaths.KnownHostsPath(dir),
                    GroupsPath = parse.GetValue(groups) ?? CliPaths.GroupsPath(dir),
                    Listen = parse.GetValue(listen)!,
                    Via = viaGateway,
                    Nodes = nodeSets,
                    ConnectTimeout = OptionValues.SecondsOr(parse, timeout, DefaultConnectTimeoutSeconds),
                };
                _ = ConsoleServer.ParseListen(options.Listen);
                if (viaGateway is not null && !TryEndpoint(viaGateway, out string? problem))
                {
                    Console.Error.WriteLine($"gatehouse console: --via {viaGateway}: {problem}");
                    return ExitCodes.Usage;
                }
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                Console.Error.WriteLine("gatehouse console: " + ex.Message);
                return ExitCodes.Usage;
            }

            ConsoleServer server;
            try
            {
                server = await ConsoleServer.StartAsync(options, logging => logging
                    .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
                    .AddFilter("Microsoft", LogLevel.Warning)
                    .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None) // a start failure is printed once, below, in one line
                    .SetMinimumLevel(LogLevel.Information), ct);
            }
            catch (IOException ex)
            {
                throw new CliException(ex.Message, ExitCodes.Failure, ex);
            }

            await using (server)
            {
                Console.WriteLine($"gatehouse console: acting as {identity.Fingerprint}; open this link once (it carries a one-time token):");
                Console.WriteLine(server.LoginUrl);
                Console.WriteLine("Ctrl-C stops the console.");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl-C: stop serving; runs in progress are cancelled by the dispose.
                }
            }

            return 0;
        });
        return command;
    }

    private static bool TryEndpoint(string text, out string? problem)
    {
        try
        {
            _ = Transport.Connections.Endpoint.Parse(text);
            problem = null;
            return true;
        }
        catch (FormatException ex)
        {
            problem = ex.Message;
            return false;
        }
    }
}
