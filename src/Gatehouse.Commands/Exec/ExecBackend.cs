using System.Net.Sockets;
using Gatehouse.Commands.Exec.Native;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Commands.Exec;

/// <summary>
/// Runs one program to completion: spawns it, feeds stdin, streams stdout (1) and stderr (2) with
/// backpressure, enforces the timeout and cancellation by killing the whole process group (SIGTERM,
/// then SIGKILL after the grace period), and reaps it. While it runs its group is listed with
/// <see cref="OrphanGuard"/>, so it is killed if this process dies first.
/// </summary>
internal sealed class ExecBackend
{
    private readonly ILogger logger;
    private readonly int bufferSize;
    private readonly OutputMeter? meter;

    public ExecBackend(ILogger logger, int bufferSize, OutputMeter? meter)
    {
        this.logger = logger;
        this.bufferSize = bufferSize;
        this.meter = meter;
        OrphanGuard.Instance.Warn = message => Log.OrphanGuardProblem(logger, message);
    }

    /// <summary>Runs <paramref name="request"/>; <paramref name="location"/> names the configuration line in logs.</summary>
    /// <returns>The exit status (or signal, with <see cref="CommandOutcome.Exited.TimedOut"/> when the timeout fired).</returns>
    /// <exception cref="SpawnException">The program could not be started.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled; the process group has been killed and the child reaped first.
    /// </exception>
    public async Task<CommandOutcome> RunAsync(ExecRequest request, string location, ICommandOutput output, CancellationToken cancellationToken)
    {
        OrphanGuard.Instance.Prepare();
        using SpawnedChild child = ProcessSpawner.Spawn(request.Spawn);
        int pid = child.Pid;
        OrphanGuard.Instance.Track(pid); // killed with its group if this process dies before the reap below
        Task exited;
        try
        {
            exited = ChildWatcher.Instance.WhenExited(pid);
        }
        catch (SpawnException)
        {
            OrphanGuard.Instance.Untrack(pid); // already killed and reaped
            throw;
        }

        using var outputFailed = new CancellationTokenSource();
        using var writes = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, outputFailed.Token);
        using var kill = CancellationTokenSource.CreateLinkedTokenSource(writes.Token);
        if (request.Timeout is { } timeout)
        {
            kill.CancelAfter(timeout);
        }

        using var writeLock = new SemaphoreSlim(1, 1);
        using var stdout = new OutputPump(child.Stdout, 1, output, writeLock, bufferSize, meter, writes.Token);
        using var stderr = new OutputPump(child.Stderr, 2, output, writeLock, bufferSize, meter, writes.Token);
        using var stdinStop = CancellationTokenSource.CreateLinkedTokenSource(writes.Token);
        Task stdin = FeedStdinAsync(child.Stdin, request, location, stdinStop.Token);
        Task<Exception?> pumps = RunPumpsAsync(stdout, stderr, outputFailed);

        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (kill.Token.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), killed))
        {
            await Task.WhenAny(exited, killed.Task);
        }

        bool timedOut = false;
        if (!exited.IsCompleted)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Log.Cancelled(logger, location, pid);
            }
            else if (outputFailed.IsCancellationRequested)
            {
                // Logged with the exception below.
            }
            else
            {
                timedOut = true;
                Log.TimedOut(logger, location, request.Timeout ?? TimeSpan.Zero, pid);
            }

            await KillGroupAsync(pid, exited, request.KillGrace);
        }

        stdout.BeginDrain();
        stderr.BeginDrain();
        Exception? failure = await pumps;

        // The program is gone: stop feeding it (a background grandchild may hold fd 0 open without reading).
        await stdinStop.CancelAsync();
        await stdin;

        OrphanGuard.Instance.Untrack(pid); // before the reap: until then the group ID cannot be reused
        int? status = ProcessGroup.Reap(pid);
        if (failure is not null)
        {
            Log.OutputFailed(logger, location, pid, failure);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (status is not { } s)
        {
            Log.AlreadyReaped(logger, location, pid);
            return new CommandOutcome.Exited(-1) { TimedOut = timedOut };
        }

        return Libc.ExitCode(s) is { } code
            ? new CommandOutcome.Exited(code) { TimedOut = timedOut }
            : new CommandOutcome.Exited(-1) { Signal = Libc.TermSignal(s), TimedOut = timedOut };
    }

    /// <summary>SIGTERM to the group; SIGKILL to whatever is left after the grace period. The leader stays unreaped meanwhile, so the group ID cannot be reused.</summary>
    private static async Task KillGroupAsync(int pgid, Task exited, TimeSpan grace)
    {
        if (!ProcessGroup.Signal(pgid, Libc.SIGTERM))
        {
            return;
        }

        await Task.WhenAny(exited, Task.Delay(grace));
        if (exited.IsCompleted)
        {
            // The leader is gone; give the rest of the group the remainder of a short grace period.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, grace.TotalMilliseconds)));
        }

        ProcessGroup.Signal(pgid, Libc.SIGKILL);
        await exited;
    }

    /// <summary>Runs both pumps; returns the first consumer failure (cancelling the rest), or null.</summary>
    private static async Task<Exception?> RunPumpsAsync(OutputPump stdout, OutputPump stderr, CancellationTokenSource outputFailed)
    {
        Exception? failure = null;
        async Task Guard(OutputPump pump)
        {
            try
            {
                await pump.RunAsync();
            }
            catch (OperationCanceledException) when (outputFailed.IsCancellationRequested || failure is not null)
            {
                // The other pump failed first; its exception is the one reported.
            }
            catch (OperationCanceledException)
            {
                // The caller cancelled: RunAsync reports that after killing the group.
            }
            catch (Exception e)
            {
                failure ??= e;
                await outputFailed.CancelAsync();
            }
        }

        await Task.WhenAll(Guard(stdout), Guard(stderr));
        return failure;
    }

    private async Task FeedStdinAsync(Socket? socket, ExecRequest request, string location, CancellationToken cancellationToken)
    {
        if (socket is null)
        {
            return;
        }

        try
        {
            if (request.StdinData is { } data)
            {
                await SendAllAsync(socket, data, cancellationToken);
            }
            else if (request.StdinStream is { } stream)
            {
                byte[] buffer = new byte[Math.Min(bufferSize, 64 * 1024)];
                int count;
                while ((count = await ReadCallerAsync(stream, buffer, location, cancellationToken)) > 0)
                {
                    await SendAllAsync(socket, buffer.AsMemory(0, count), cancellationToken);
                }
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.Shutdown or SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            Log.StdinClosed(logger, location, e.SocketErrorCode.ToString()); // As remctld: EPIPE means the program did not want more input.
        }
        catch (OperationCanceledException)
        {
            // Cancelled or output failed: RunAsync handles and reports it.
        }
        finally
        {
            socket.Close();
        }
    }

    private async Task<int> ReadCallerAsync(Stream stream, byte[] buffer, string location, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            Log.StdinFailed(logger, location, e);
            return 0;
        }
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }
}
