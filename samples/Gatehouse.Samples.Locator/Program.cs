// A sample locator service (docs/cluster.md, "Locator services"). It attaches to one or more
// gateways and becomes the locator of one domain: before routing a request of that domain that
// carries a key (metadata GATEHOUSE_KEY, else its first argument), a gateway asks it which cluster
// member serves the key, and forwards (or redirects) the request there.
//
// The answers come from a map file, one key per line:
//   KEY MEMBER [TTL]     MEMBER: a member's fingerprint (SHA256:...) or HOST:PORT as `gatehouse members`
//                        shows it; TTL: seconds the gateway may keep the answer (default: the gateway's)
//   # comments and blank lines are ignored; a line "* MEMBER [TTL]" answers every other key.
// Keys not in the map are answered "-" (not known: the gateway routes the request as usual). The
// file is read again when it changes (a bad file keeps the previous map and says why).
//
// Usage: dotnet run --project samples/Gatehouse.Samples.Locator -- --domain DOMAIN --map FILE \
//          --gateway HOST:PORT=FINGERPRINT [--gateway ...] [--identity DIR] [--no-discover] [--ttl SECONDS]
// On first start it makes its identity in DIR (default ~/.config/gatehouse/locator) and prints the
// fingerprint to authorize:  gatehouse authorize FINGERPRINT --name locator --role service --domain DOMAIN
using System.Globalization;
using Gatehouse.Protocol;
using Gatehouse.Samples.Locator;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;

var gateways = new List<GatewayTarget>();
string identityDir = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "gatehouse", "locator");
string? domain = null;
string? mapPath = null;
TimeSpan? ttl = null;
var discovery = DiscoveryOptions.Default;
const string Usage = "usage: --domain DOMAIN --map FILE --gateway HOST:PORT=FINGERPRINT [--identity DIR] [--no-discover] [--ttl SECONDS]";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--gateway" when i + 1 < args.Length:
            string[] parts = args[++i].Split('=', 2);
            if (parts.Length != 2 || !Fingerprint.TryParse(parts[1], out var fp))
            {
                Console.Error.WriteLine("--gateway wants HOST:PORT=FINGERPRINT");
                return 2;
            }

            gateways.Add(new GatewayTarget(Endpoint.Parse(parts[0]), fp));
            break;
        case "--identity" when i + 1 < args.Length:
            identityDir = args[++i];
            break;
        case "--domain" when i + 1 < args.Length:
            domain = args[++i];
            break;
        case "--map" when i + 1 < args.Length:
            mapPath = args[++i];
            break;
        case "--ttl" when i + 1 < args.Length:
            if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) || seconds > LocatorAnswer.MaxTtl.TotalSeconds)
            {
                Console.Error.WriteLine($"--ttl wants whole seconds from 0 to {LocatorAnswer.MaxTtl.TotalSeconds:0}");
                return 2;
            }

            ttl = TimeSpan.FromSeconds(seconds);
            break;
        case "--no-discover":
            discovery = discovery with { Enabled = false };
            break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}; {Usage}");
            return 2;
    }
}

if (domain is null || mapPath is null)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var map = new LocatorMap(mapPath, ttl);
if (map.Reload() is { } problem)
{
    Console.Error.WriteLine($"locator: {problem}");
    return 1;
}

using var identity = PeerIdentity.LoadOrCreate(identityDir, "gatehouse-locator", out bool created);
Console.WriteLine($"locator identity {identity.Fingerprint}{(created ? " (new)" : string.Empty)}");
if (gateways.Count == 0)
{
    Console.WriteLine($"authorize it on a gateway host with: gatehouse authorize {identity.Fingerprint} --name locator --role service --domain {domain}");
    Console.WriteLine("then run again with --gateway HOST:PORT=GATEWAY_FINGERPRINT");
    return 0;
}

using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
var logger = loggerFactory.CreateLogger("locator");
var service = new GatehouseService(new ServiceOptions { Identity = identity, Gateways = gateways, Discovery = discovery }, logger)
    .MapLocator(domain, (query, ct) =>
    {
        if (map.ReloadIfChanged() is { } problem)
        {
            Console.Error.WriteLine($"locator: keeping the previous map: {problem}");
        }

        return ValueTask.FromResult(map.Locate(query.Key));
    });

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
service.Attached += g => Console.WriteLine($"attached to {g.Endpoint}");
service.Detached += g => Console.WriteLine($"detached from {g.Endpoint}");
Console.WriteLine($"locator of domain {domain}: {map.Count} keys from {mapPath}");
await service.RunAsync(stop.Token);
return 0;
