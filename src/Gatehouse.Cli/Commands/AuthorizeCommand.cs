using System.CommandLine;
using Gatehouse.Gateway;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse authorize FINGERPRINT --name NAME [--role R]... [--domain D]...</c> (roles client,
/// service, admin, gateway): adds a peer to the
/// gateway's authorized file (run on the gateway host). A running gateway picks it up within a second.
/// Every value is checked first (<see cref="PeerGrant.NameProblem"/>, <see cref="PeerGrant.DomainProblem"/>);
/// concurrent runs are serialised by a lock and the file is replaced atomically (<see cref="AuthorizedPeers.Upsert"/>).
/// </summary>
internal static class AuthorizeCommand
{
    public static Command Create()
    {
        var fingerprint = new Argument<string?>("fingerprint") { Description = "The peer's fingerprint (gatehouse id prints yours)", Arity = ArgumentArity.ZeroOrOne };
        var self = new Option<bool>("--self") { Description = "Authorize your own identity (from your config directory)" };
        var name = new Option<string?>("--name") { Description = "The principal name backends see as REMOTE_USER" };
        var roles = new Option<string[]>("--role") { Description = "client (default), service, admin (implies client), gateway (a cluster member; implies nothing else); repeat or comma-separate", AllowMultipleArgumentsPerToken = false };
        var domains = new Option<string[]>("--domain") { Description = "For services: domains it may register; for clients: domains it may call (default: all)" };
        var remove = new Option<bool>("--remove") { Description = "Remove the identity's grant instead (in a cluster: on every member)" };
        var stateDir = CommonOptions.StateDir();
        var configDir = CommonOptions.ConfigDir();
        var command = new Command("authorize", "Authorize a client, service, admin or gateway identity on this gateway host") { fingerprint, self, name, roles, domains, remove, stateDir, configDir };
        command.SetAction(parse =>
        {
            Fingerprint fp;
            string? given = parse.GetValue(fingerprint);
            if (parse.GetValue(self))
            {
                using var identity = CliPaths.LoadIdentity(parse.GetValue(configDir));
                fp = identity.Fingerprint;
            }
            else if (!Fingerprint.TryParse(given, out fp))
            {
                Console.Error.WriteLine(given is null
                    ? "gatehouse authorize: give a FINGERPRINT or --self"
                    : $"gatehouse authorize: '{given}' is not a fingerprint (SHA256:<base64> or 64 hex digits)");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(remove))
            {
                string path = new GatewayOptions { StateDirectory = parse.GetValue(stateDir) ?? GatewayOptions.DefaultStateDirectory() }.AuthorizedPath;
                try
                {
                    if (!AuthorizedPeers.Remove(path, fp))
                    {
                        Console.Error.WriteLine($"gatehouse authorize: {fp} has no grant in {path}");
                        return 1;
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"gatehouse authorize: {path} not changed: {ex.Message}");
                    return 1;
                }

                Console.WriteLine($"removed {fp}");
                Console.WriteLine($"from {path}");
                return 0;
            }

            string principal = parse.GetValue(name) ?? (parse.GetValue(self) ? Environment.UserName : string.Empty);
            if (principal.Length == 0)
            {
                Console.Error.WriteLine("gatehouse authorize: --name NAME is required");
                return ExitCodes.Usage;
            }

            if (PeerGrant.NameProblem(principal) is { } nameProblem)
            {
                Console.Error.WriteLine("gatehouse authorize: --name: " + nameProblem);
                return ExitCodes.Usage;
            }

            PeerRoles peerRoles;
            try
            {
                var given2 = parse.GetValue(roles) ?? [];
                peerRoles = given2.Length == 0 ? PeerRoles.Client : AuthorizedPeers.ParseRoles(string.Join(',', given2));
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine("gatehouse authorize: " + ex.Message);
                return ExitCodes.Usage;
            }

            // Comma-separated lists are split, but nothing else is: a value that is not a valid domain
            // (spaces, '=', a newline) is refused, never written into the file.
            var domainList = (parse.GetValue(domains) ?? []).SelectMany(d => d.Split(',')).ToArray();
            if (domainList.Select(PeerGrant.DomainProblem).FirstOrDefault(p => p is not null) is { } domainProblem)
            {
                Console.Error.WriteLine("gatehouse authorize: --domain: " + domainProblem);
                return ExitCodes.Usage;
            }

            var options = new GatewayOptions { StateDirectory = parse.GetValue(stateDir) ?? GatewayOptions.DefaultStateDirectory() };
            var grant = new PeerGrant(fp, principal, peerRoles, domainList);
            try
            {
                AuthorizedPeers.Upsert(options.AuthorizedPath, grant);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"gatehouse authorize: {options.AuthorizedPath} not changed: {ex.Message}");
                return 1;
            }

            Console.WriteLine($"authorized {grant.ToLine()}");
            Console.WriteLine($"in {options.AuthorizedPath}");
            return 0;
        });
        return command;
    }
}
