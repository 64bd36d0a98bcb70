using System.CommandLine;
using System.Text.Json;
using Gatehouse.Gateway;
using Gatehouse.Gateway.Authorization;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse peers [--json]</c> (run on the gateway host): every grant of the authorized file with
/// when it was added and when the peer was last connected (<c>peers_seen</c>, saved by the running
/// gateway every 10 s).
/// </summary>
internal static class PeersCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "One JSON object per peer" };
        var stateDir = CommonOptions.StateDir();
        var command = new Command("peers", "List the peers authorized on this gateway host: fingerprint, name, roles, domains, added, last seen") { json, stateDir };
        command.SetAction(parse =>
        {
            var options = new GatewayOptions { StateDirectory = parse.GetValue(stateDir) ?? GatewayOptions.DefaultStateDirectory() };
            IReadOnlyList<PeerGrant> grants;
            try
            {
                grants = AuthorizedPeers.ReadFile(options.AuthorizedPath);
            }
            catch (AuthorizedPeersException ex)
            {
                Console.Error.WriteLine("gatehouse peers: " + ex.Message);
                return ExitCodes.LocalConfig;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"gatehouse peers: {options.AuthorizedPath}: {ex.Message}");
                return ExitCodes.LocalConfig;
            }

            var seen = PeerLastSeen.Load(options.LastSeenPath);
            var added = PeerAddedTimes.Load(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.AuthorizedPath))!, PeerAddedTimes.FileName));
            static string When(DateTimeOffset? t) => t is { } v ? PeerGrant.FormatTime(v) : "-";
            if (parse.GetValue(json))
            {
                foreach (var g in grants)
                {
                    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                    {
                        ["fingerprint"] = g.Fingerprint.ToString(),
                        ["name"] = g.Name,
                        ["roles"] = g.RolesText.Split(','),
                        ["domains"] = g.Domains,
                        ["added"] = added.TryGetValue(g.Fingerprint, out var a) ? PeerGrant.FormatTime(a) : null,
                        ["lastSeen"] = seen.TryGetValue(g.Fingerprint, out var s) ? PeerGrant.FormatTime(s) : null,
                    }));
                }

                return 0;
            }

            if (grants.Count == 0)
            {
                Console.WriteLine($"no peers in {options.AuthorizedPath}");
                return 0;
            }

            var rows = grants.Select(g => new[]
            {
                g.Fingerprint.ToString(), g.Name, g.RolesText, g.Domains.Count == 0 ? "*" : string.Join(',', g.Domains),
                When(added.TryGetValue(g.Fingerprint, out var a) ? a : null), When(seen.TryGetValue(g.Fingerprint, out var s) ? s : null),
            }).Prepend(["FINGERPRINT", "NAME", "ROLES", "DOMAINS", "ADDED", "LAST SEEN"]).ToList();
            int[] widths = Enumerable.Range(0, 6).Select(i => rows.Max(r => r[i].Length)).ToArray();
            foreach (var row in rows)
            {
                Console.WriteLine(string.Join("  ", row.Select((c, i) => i == row.Length - 1 ? c : c.PadRight(widths[i]))));
            }

            return 0;
        });
        return command;
    }
}
