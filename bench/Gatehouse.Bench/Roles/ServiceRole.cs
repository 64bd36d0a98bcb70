using System.Globalization;
using Gatehouse.Bench.Processes;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Bench.Roles;

/// <summary>
/// <c>service --gateway host:port --fingerprint FP --identity DIR</c>: a Gatehouse service in
/// domain <c>bench</c> with <c>echo</c> (stdin copied to stdout), <c>true</c> (no output) and
/// <c>stream N</c> (N bytes of output in 64 KiB writes). The same <c>echo</c> and <c>stream</c>
/// also in domain <c>bench-redir</c>, which the redirected rows use (gateway B redirects that
/// domain and forwards <c>bench</c>). In both, <c>paths</c> prints how this domain's
/// <c>echo</c> and <c>stream</c> requests arrived so far, and how this one did:
/// <c>forwarded=N direct=M via=FINGERPRINT|-</c> (forwarded: the request names the member it came
/// through, <c>GATEHOUSE_VIA</c>). Prints <c>READY</c> once attached.
/// </summary>
internal static class ServiceRole
{
    /// <summary>The domain of the direct and forwarded rows.</summary>
    public const string Domain = "bench";

    /// <summary>The domain of the redirected rows: gateway B's policy for it is <c>redirect</c>.</summary>
    public const string RedirectDomain = "bench-redir";

    /// <summary>The command that reports how requests arrived.</summary>
    public const string Paths = "paths";

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
        foreach (string domain in (string[])[Domain, RedirectDomain])
        {
            var counts = new PathCounts();
            service
                .Map(domain, "echo", async ctx =>
                {
                    counts.Count(ctx);
                    await ctx.Stdin.CopyToAsync(ctx.Stdout, 65_536, ctx.CancellationToken);
                    return 0;
                }, concurrency: 256)
                .Map(domain, "stream", async ctx =>
                {
                    counts.Count(ctx);
                    long remaining = long.Parse(ctx.Args[0], CultureInfo.InvariantCulture);
                    while (remaining > 0)
                    {
                        int n = (int)Math.Min(remaining, chunk.Length);
                        await ctx.WriteAsync(1, chunk.AsMemory(0, n));
                        remaining -= n;
                    }

                    return 0;
                }, concurrency: 16)
                .Map(domain, Paths, async ctx =>
                {
                    await ctx.WriteAsync(counts.Describe(ctx));
                    return 0;
                }, concurrency: 4);
        }

        service.Map(Domain, "true", _ => Task.FromResult(0), concurrency: 256);
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

    /// <summary>How one domain's requests arrived: forwarded by another member, or straight from the client.</summary>
    private sealed class PathCounts
    {
        private long _forwarded;
        private long _direct;

        public void Count(CommandContext ctx)
        {
            if (ctx.GetMetadata(Via) is null)
            {
                Interlocked.Increment(ref _direct);
            }
            else
            {
                Interlocked.Increment(ref _forwarded);
            }
        }

        public string Describe(CommandContext ctx) => string.Create(CultureInfo.InvariantCulture,
            $"forwarded={Interlocked.Read(ref _forwarded)} direct={Interlocked.Read(ref _direct)} via={ctx.GetMetadata(Via) ?? "-"}");

        /// <summary>The metadata a forwarding member adds (a gateway strips it from what clients send).</summary>
        private const string Via = Gatehouse.Gateway.Pipeline.ForwardedMetadata.Via;
    }
}
