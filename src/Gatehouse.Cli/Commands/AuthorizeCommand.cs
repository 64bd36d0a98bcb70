using System.CommandLine;
using Gatehouse.Gateway;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse authorize FINGERPRINT|NAME [--name NAME] [--role R]... [--domain D]... [--remove]</c>
/// (run on the gateway host): adds a peer to the gateway's authorized file, changes an existing
/// grant (what is not given is kept), or removes it. A peer already granted may be named by its
/// name. A running gateway applies the change to new and live connections within a second.
/// Every value is checked first (<see cref="PeerGrant.NameProblem"/>, <see cref="PeerGrant.DomainProblem"/>);
/// a file that does not parse is never edited; concurrent runs are serialised by a lock and the file
/// is replaced atomically, keeping its mode (<see cref="AuthorizedPeers.Upsert"/>).
/// </summary>
internal static class AuthorizeCommand
{
    public static Command Create()
    {
        var fingerprint = new Argument<string?>("peer") { Description = "The peer's fingerprint (gatehouse id prints yours), or the name of a peer already granted", Arity = ArgumentArity.ZeroOrOne };
        var self = new Option<bool>("--self") { Description = "Authorize your own identity (from your config directory)" };
        var name = new Option<string?>("--name") { Description = "The principal name backends see as REMOTE_USER (required for a new grant; renames an existing one)" };
        var roles = new Option<string[]>("--role") { Description = "client (default for a new grant), service, admin (implies client), gateway (a cluster member; implies nothing else); repeat or comma-separate; replaces the grant's roles", AllowMultipleArgumentsPerToken = false };
        var domains = new Option<string[]>("--domain") { Description = "For services: domains it may register; for clients: domains it may call (default: all); replaces the grant's domains" };
        var remove = new Option<bool>("--remove") { Description = "Remove the peer's grant instead (in a cluster: on every member)" };
        var stateDir = CommonOptions.StateDir();
        var configDir = CommonOptions.ConfigDir();
        var command = new Command("authorize", "Authorize, change or remove a client, service, admin or gateway identity on this gateway host") { fingerprint, self, name, roles, domains, remove, stateDir, configDir };
        command.SetAction(parse =>
        {
            string path = new GatewayOptions { StateDirectory = parse.GetValue(stateDir) ?? GatewayOptions.DefaultStateDirectory() }.AuthorizedPath;
            try
            {
                return Run(parse, path, fingerprint, self, name, roles, domains, remove, configDir);
            }
            catch (AuthorizedPeersException ex)
            {
                Console.Error.WriteLine($"gatehouse authorize: {ex.Message}; nothing changed");
                return ExitCodes.LocalConfig;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"gatehouse authorize: {path} not changed: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    private static int Run(ParseResult parse, string path, Argument<string?> fingerprint, Option<bool> self, Option<string?> name, Option<string[]> roles,
        Option<string[]> domains, Option<bool> remove, Option<string?> configDir)
    {
        var grants = AuthorizedPeers.ReadFile(path); // refuses a file that does not parse
        Fingerprint fp;
        string? given = parse.GetValue(fingerprint);
        if (parse.GetValue(self))
        {
            using var identity = CliPaths.LoadIdentity(parse.GetValue(configDir));
            fp = identity.Fingerprint;
        }
        else if (given is null)
        {
            Console.Error.WriteLine("gatehouse authorize: give a FINGERPRINT, the NAME of a granted peer, or --self");
            return ExitCodes.Usage;
        }
        else if (!Fingerprint.TryParse(given, out fp))
        {
            var named = grants.Where(g => g.Name == given).ToList();
            if (named.Count == 0)
            {
                Console.Error.WriteLine($"gatehouse authorize: '{given}' is neither a fingerprint (SHA256:<base64> or 64 hex digits) nor the name of a peer in {path}");
                return ExitCodes.Usage;
            }

            if (named.Count > 1)
            {
                Console.Error.WriteLine($"gatehouse authorize: {named.Count} peers are named '{given}': {string.Join(", ", named.Select(g => g.Fingerprint))}; give the fingerprint");
                return ExitCodes.Usage;
            }

            fp = named[0].Fingerprint;
        }

        var existing = grants.FirstOrDefault(g => g.Fingerprint == fp);
        if (parse.GetValue(remove))
        {
            if (!AuthorizedPeers.Remove(path, fp))
            {
                Console.Error.WriteLine($"gatehouse authorize: {fp} has no grant in {path}");
                return 1;
            }

            Console.WriteLine($"removed {fp}{(existing is null ? string.Empty : " (" + existing.Name + ")")}");
            Console.WriteLine($"from {path}");
            return 0;
        }

        string principal = parse.GetValue(name) ?? existing?.Name ?? (parse.GetValue(self) ? Environment.UserName : string.Empty);
        if (principal.Length == 0)
        {
            Console.Error.WriteLine("gatehouse authorize: --name NAME is required for a new grant");
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
            var givenRoles = parse.GetValue(roles) ?? [];
            peerRoles = givenRoles.Length == 0 ? existing?.Roles ?? PeerRoles.Client : AuthorizedPeers.ParseRoles(string.Join(',', givenRoles));
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine("gatehouse authorize: " + ex.Message);
            return ExitCodes.Usage;
        }

        // Comma-separated lists are split, but nothing else is: a value that is not a valid domain
        // (spaces, '=', a newline) is refused, never written into the file.
        var givenDomains = (parse.GetValue(domains) ?? []).SelectMany(d => d.Split(',')).ToArray();
        if (givenDomains.Select(PeerGrant.DomainProblem).FirstOrDefault(p => p is not null) is { } domainProblem)
        {
            Console.Error.WriteLine("gatehouse authorize: --domain: " + domainProblem);
            return ExitCodes.Usage;
        }

        var grant = new PeerGrant(fp, principal, peerRoles, givenDomains.Length > 0 ? givenDomains : existing?.Domains ?? []);
        AuthorizedPeers.Upsert(path, grant);
        if (existing is null)
        {
            PeerAddedTimes.Record(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, PeerAddedTimes.FileName), fp, DateTimeOffset.UtcNow);
        }
        Console.WriteLine($"{(existing is null ? "authorized" : "changed")} {grant.ToLine()}"); // the line Upsert wrote
        Console.WriteLine($"in {path}");
        return 0;
    }
}
