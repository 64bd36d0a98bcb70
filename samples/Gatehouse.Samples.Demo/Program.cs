// A sample Gatehouse service. It attaches to one or more gateways and serves the "demo" domain:
//   demo echo ARGS...   prints its arguments
//   demo hostname       prints the host name and this instance's name
//   demo upper          copies stdin to stdout in upper case
//   demo sleep SECONDS  prints a dot a second, then "done"; stops early when cancelled
//   demo wait SECONDS   prints nothing for SECONDS, then the instance name (a call with no output yet)
//
// Usage: dotnet run --project samples/Gatehouse.Samples.Demo -- \
//          --gateway HOST:PORT=FINGERPRINT [--gateway ...] [--identity DIR] [--instance NAME]
//          [--no-discover] [--max-gateways N]
// Given one gateway of a cluster it attaches to every member (docs/services.md); --no-discover
// attaches to the --gateway ones only, --max-gateways N to N gateways at most (the given ones included).
// On first start it makes its identity in DIR (default ~/.config/gatehouse/demo-service) and
// prints the fingerprint to authorize on each gateway:
//   gatehouse authorize FINGERPRINT --name demo --role service --domain demo
using System.Globalization;
using System.Text;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;

var gateways = new List<GatewayTarget>();
string identityDir = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "gatehouse", "demo-service");
string instance = Environment.MachineName;
var discovery = DiscoveryOptions.Default;
const string Usage = "usage: --gateway HOST:PORT=FINGERPRINT [--identity DIR] [--instance NAME] [--no-discover] [--max-gateways N]";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--gateway" when i + 1 < args.Length:
            string[] parts = args[++i].Split('=', 2);
            if (parts.Length != 2)
            {
                Console.Error.WriteLine("--gateway wants HOST:PORT=FINGERPRINT");
                return 2;
            }

            gateways.Add(new GatewayTarget(Endpoint.Parse(parts[0]), Fingerprint.Parse(parts[1])));
            break;
        case "--identity" when i + 1 < args.Length:
            identityDir = args[++i];
            break;
        case "--instance" when i + 1 < args.Length:
            instance = args[++i];
            break;
        case "--no-discover":
            discovery = discovery with { Enabled = false };
            break;
        case "--max-gateways" when i + 1 < args.Length:
            if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out int max) || max is < 1 or > DiscoveryOptions.MaxGatewaysLimit)
            {
                Console.Error.WriteLine($"--max-gateways wants a number from 1 to {DiscoveryOptions.MaxGatewaysLimit}");
                return 2;
            }

            discovery = discovery with { MaxGateways = max };
            break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}; {Usage}");
            return 2;
    }
}

using var identity = PeerIdentity.LoadOrCreate(identityDir, "gatehouse-demo-service", out bool created);
Console.WriteLine($"demo service identity {identity.Fingerprint}{(created ? " (new)" : string.Empty)}");
if (gateways.Count == 0)
{
    Console.WriteLine($"authorize it on a gateway host with: gatehouse authorize {identity.Fingerprint} --name demo --role service --domain demo");
    Console.WriteLine("then run again with --gateway HOST:PORT=GATEWAY_FINGERPRINT");
    return 0;
}

using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
var service = new GatehouseService(new ServiceOptions { Identity = identity, Gateways = gateways, Discovery = discovery }, loggerFactory.CreateLogger("demo"))
    .Map("demo", "echo", async ctx =>
    {
        await ctx.WriteAsync(string.Join(' ', ctx.Args) + "\n");
        return 0;
    })
    .Map("demo", "hostname", async ctx =>
    {
        await ctx.WriteAsync($"{Environment.MachineName} instance={instance} user={ctx.User}\n");
        return 0;
    })
    .Map("demo", "upper", async ctx =>
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await ctx.Stdin.ReadAsync(buffer, ctx.CancellationToken)) > 0)
        {
            string text = Encoding.UTF8.GetString(buffer, 0, n).ToUpperInvariant();
            await ctx.Stdout.WriteAsync(Encoding.UTF8.GetBytes(text), ctx.CancellationToken);
        }

        return 0;
    })
    .Map("demo", "sleep", async ctx =>
    {
        double seconds = ctx.Args.Count > 0 ? double.Parse(ctx.Args[0], CultureInfo.InvariantCulture) : 1;
        await ctx.WriteAsync($"instance={instance} sleeping {seconds}s\n");
        var end = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < end)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, Math.Max(1, (end - DateTime.UtcNow).TotalMilliseconds))), ctx.CancellationToken);
            await ctx.WriteAsync(".");
        }

        await ctx.WriteAsync("\ndone\n");
        return 0;
    }, concurrency: 256)
    .Map("demo", "wait", async ctx =>
    {
        double seconds = ctx.Args.Count > 0 ? double.Parse(ctx.Args[0], CultureInfo.InvariantCulture) : 1;
        await Task.Delay(TimeSpan.FromSeconds(seconds), ctx.CancellationToken);
        await ctx.WriteAsync($"instance={instance} waited {seconds}s\n");
        return 0;
    }, concurrency: 256);

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
service.Attached += g => Console.WriteLine($"attached to {g.Endpoint}");
service.Detached += g => Console.WriteLine($"detached from {g.Endpoint}");
await service.RunAsync(stop.Token);
return 0;
