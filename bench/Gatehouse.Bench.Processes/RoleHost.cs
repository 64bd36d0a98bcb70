using System.Runtime.InteropServices;

namespace Gatehouse.Bench.Processes;

/// <summary>
/// What every child role shares: a token that fires when the runner closes our stdin (or dies),
/// or on SIGTERM/SIGINT, and the <c>READY</c> line the runner waits for.
/// </summary>
public static class RoleHost
{
    /// <summary>A token cancelled on stdin EOF, SIGTERM or SIGINT.</summary>
    public static CancellationToken StopToken()
    {
        var cts = new CancellationTokenSource();
        var thread = new Thread(() =>
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[256];
            try
            {
                while (stdin.Read(buffer, 0, buffer.Length) > 0)
                {
                    // Input is ignored; only end-of-file matters.
                }
            }
            catch (IOException)
            {
                // A broken pipe means the runner is gone: stop just the same.
            }

            cts.Cancel();
        }) { IsBackground = true, Name = "stdin-watch" };
        thread.Start();
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT })
        {
            // Registrations live for the process lifetime.
            _ = PosixSignalRegistration.Create(signal, ctx =>
            {
                ctx.Cancel = true;
                cts.Cancel();
            });
        }

        return cts.Token;
    }

    /// <summary>Tells the runner this role is ready, with <paramref name="detail"/> (ports, fingerprints).</summary>
    public static void Ready(string detail)
    {
        Console.Out.WriteLine("READY " + detail);
        Console.Out.Flush();
    }

    /// <summary>Waits until <paramref name="token"/> fires.</summary>
    public static async Task WaitAsync(CancellationToken token)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, token);
        }
        catch (OperationCanceledException)
        {
            // The normal way out: the runner asked us to stop.
        }
    }

    /// <summary>The value after <paramref name="name"/> in <paramref name="args"/>.</summary>
    public static string Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"missing {name}");
    }
}
