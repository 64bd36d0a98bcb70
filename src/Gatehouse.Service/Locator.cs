using Gatehouse.Protocol;

namespace Gatehouse.Service;

/// <summary>What a gateway asks a locator: where <see cref="Key"/> (of a request for <see cref="Command"/> in <see cref="Domain"/>, made by <see cref="User"/>) lives.</summary>
public sealed record LocateQuery(string Domain, string Key, string Command, string User);

/// <summary>
/// Answers a gateway's question: <see cref="LocatorAnswer"/> naming the member that serves the key
/// (its fingerprint or its gossiped <c>HOST:PORT</c>, as <c>gatehouse members</c> shows them), or
/// <c>new LocatorAnswer(null, ttl)</c> when the key is not known (the request is routed as usual),
/// with how long the gateway may keep the answer (null: the gateway's default).
/// </summary>
public delegate ValueTask<LocatorAnswer> LocatorHandler(LocateQuery query, CancellationToken cancellationToken);

public sealed partial class GatehouseService
{
    /// <summary>
    /// Makes this service the locator of <paramref name="domain"/> (it registers
    /// <see cref="LocatorAnswer.Command"/> there): gateways ask it where a request's key lives before
    /// they route requests of the domain that carry one (docs/cluster.md, "Locator services").
    /// </summary>
    public GatehouseService MapLocator(string domain, LocatorHandler handler, int concurrency = 64)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Map(domain, LocatorAnswer.Command, async ctx =>
        {
            if (ctx.Args.Count < 1)
            {
                await ctx.WriteAsync(2, "a locator is asked with KEY COMMAND\n"u8.ToArray()).ConfigureAwait(false);
                return 2;
            }

            var answer = await handler(new LocateQuery(ctx.Domain, ctx.Args[0], ctx.Args.Count > 1 ? ctx.Args[1] : string.Empty, ctx.User), ctx.CancellationToken).ConfigureAwait(false);
            await ctx.WriteAsync(LocatorAnswer.Format(answer.Member, answer.Ttl)).ConfigureAwait(false);
            return 0;
        }, concurrency);
    }
}
