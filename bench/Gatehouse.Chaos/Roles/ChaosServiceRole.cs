using System.Globalization;
using System.Text;
using Gatehouse.Bench.Processes;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Chaos.Roles;

/// <summary>
/// <c>service --gateway HOST:PORT --fingerprint FP --identity DIR --log FILE</c>: a service in domain
/// <c>chaos</c> with one command, <c>echo ID [DELAY_MS]</c>. Each execution first appends
/// <c>ID</c> to FILE (one unbuffered write, so a SIGKILL right after it keeps the record), then
/// waits DELAY_MS if given and prints <c>ID</c>. The driver reads every FILE at the end: an id
/// found twice ran twice. Prints <c>READY</c> once attached (and again after each reattach).
/// </summary>
internal static class ChaosServiceRole
{
    public const string Domain = "chaos";

    public const string Command = "echo";

    public static async Task<int> RunAsync(string[] args)
    {
        var stop = RoleHost.StopToken();
        using var identity = PeerIdentity.LoadOrCreate(RoleHost.Arg(args, "--identity"), "chaos-service", out _);
        var target = new GatewayTarget(Endpoint.Parse(RoleHost.Arg(args, "--gateway")), Fingerprint.Parse(RoleHost.Arg(args, "--fingerprint")));
        using var log = new ExecutionLogWriter(RoleHost.Arg(args, "--log"));
        var service = new GatehouseService(new ServiceOptions
        {
            Identity = identity,
            Gateways = [target],
            // Reattach quickly after a gateway restart; the driver restarts the gateway every few seconds.
            Connection = ConnectionOptions.Default with { MaxBackoff = TimeSpan.FromMilliseconds(500) },
        });
        service.Map(Domain, Command, async ctx =>
        {
            string id = ctx.Args[0];
            log.Record(id);
            if (ctx.Args.Count > 1 && int.Parse(ctx.Args[1], CultureInfo.InvariantCulture) is > 0 and int delay)
            {
                await Task.Delay(delay, ctx.CancellationToken);
            }

            await ctx.WriteAsync(id + "\n");
            return 0;
        }, concurrency: 256);
        service.Attached += _ => RoleHost.Ready("attached");
        try
        {
            await service.RunAsync(stop);
        }
        catch (OperationCanceledException)
        {
            // The driver asked us to stop.
        }

        return 0;
    }
}

/// <summary>
/// Appends one line per execution with a single unbuffered write(2), so that what was recorded
/// survives a SIGKILL of this process (it is in the page cache once the write returns).
/// </summary>
internal sealed class ExecutionLogWriter : IDisposable
{
    private readonly FileStream _file;

    public ExecutionLogWriter(string path)
    {
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
    }

    public void Record(string id)
    {
        byte[] line = Encoding.ASCII.GetBytes(id + "\n");
        lock (_file)
        {
            _file.Write(line);
        }
    }

    public void Dispose() => _file.Dispose();
}
