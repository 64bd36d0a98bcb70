using Gatehouse.Bench.Processes;
using NATS.Client.Core;

namespace Gatehouse.Bench.Roles;

/// <summary>
/// <c>nats-service --url tls://127.0.0.1:PORT --cert PEM --key PEM</c>: a NATS.Net subscriber in
/// queue group <c>bench</c> that answers <c>bench.echo</c> with the request payload and
/// <c>bench.true</c> with an empty reply. TLS with a client certificate. Prints <c>READY</c>.
/// </summary>
internal static class NatsServiceRole
{
    public const string QueueGroup = "bench";

    public static async Task<int> RunAsync(string[] args)
    {
        var stop = RoleHost.StopToken();
        await using var nats = new NatsConnection(NatsBenchOptions.Create(RoleHost.Arg(args, "--url"), RoleHost.Arg(args, "--cert"), RoleHost.Arg(args, "--key"), "bench-service"));
        await nats.ConnectAsync();
        var echo = Serve(nats, "bench.echo", static data => data ?? [], stop);
        var truth = Serve(nats, "bench.true", static _ => [], stop);
        await nats.PingAsync(stop);
        RoleHost.Ready("subscribed");
        await RoleHost.WaitAsync(stop);
        await Task.WhenAll(echo, truth);
        return 0;
    }

    private static async Task Serve(NatsConnection nats, string subject, Func<byte[]?, byte[]> reply, CancellationToken stop)
    {
        await using var subscription = await nats.SubscribeCoreAsync<byte[]>(subject, queueGroup: QueueGroup, cancellationToken: stop);
        try
        {
            await foreach (var msg in subscription.Msgs.ReadAllAsync(stop))
            {
                await msg.ReplyAsync(reply(msg.Data), cancellationToken: stop);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}

/// <summary>NATS.Net options shared by the service and the load generator: TLS required, client certificate.</summary>
internal static class NatsBenchOptions
{
    public static NatsOpts Create(string url, string certFile, string keyFile, string name) => NatsOpts.Default with
    {
        Url = url,
        Name = name,
        TlsOpts = new NatsTlsOpts { Mode = TlsMode.Require, CaFile = certFile, CertFile = certFile, KeyFile = keyFile },
        RequestTimeout = TimeSpan.FromSeconds(30),
        SubPendingChannelCapacity = 65_536,
    };
}
