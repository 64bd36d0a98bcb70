using System.Globalization;
using Gatehouse.Bench.Processes;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Bench.Roles;

/// <summary>
/// <c>service --gateway host:port --fingerprint FP --identity DIR</c>: a Gatehouse service in
/// domain <c>bench</c> with <c>echo</c> (stdin copied to stdout), <c>true</c> (no output) and
/// <c>stream N</c> (N bytes of output in 64 KiB writes). Prints <c>READY</c> once attached.
/// </summary>
internal static class ServiceRole
{
    /// <summary>The domain every benchmark command lives in.</summary>
    public const string Domain = "bench";

    /// <summary>Size of each write of the <c>stream</c> command.</summary>
    public const int StreamChunk = 65_536;

    public static async Task<int> RunAsync(string[] args)
    {
        var stop = RoleHost.StopToken();
        var identity = PeerIdentity.LoadOrCreate(RoleHost.Arg(args, "--identity"), "bench-service", out _);
        var target = new GatewayTarget(Endpoint.Parse(RoleHost.Arg(args, "--gateway")), Fingerprint.Parse(RoleHost.Arg(args, "--fingerprint")));
        var service = new GatehouseService(new ServiceOptions
        {
            Identity = identity,
            Gateways = [target],
            Connection = ConnectionOptions.Default with { MaxBackoff = TimeSpan.FromMilliseconds(500) },
            Discovery = DiscoveryOptions.Off, // stays on gateway A: the forwarded rows must be forwarded
        });
        var chunk = new byte[StreamChunk];
        service
            .Map(Domain, "echo", async ctx =>
            {
                await ctx.Stdin.CopyToAsync(ctx.Stdout, 65_536, ctx.CancellationToken);
                return 0;
            }, concurrency: 256)
            .Map(Domain, "true", _ => Task.FromResult(0), concurrency: 256)
            .Map(Domain, "stream", async ctx =>
            {
                long remaining = long.Parse(ctx.Args[0], CultureInfo.InvariantCulture);
                while (remaining > 0)
                {
                    int n = (int)Math.Min(remaining, chunk.Length);
                    await ctx.WriteAsync(1, chunk.AsMemory(0, n));
                    remaining -= n;
                }

                return 0;
            }, concurrency: 16);
        service.Attached += _ => RoleHost.Ready("attached");
        try
        {
            await service.RunAsync(stop);
        }
        catch (OperationCanceledException)
        {
            // The runner asked us to stop.
        }

        return 0;
    }
}
