namespace Gatehouse.Bench.Processes;

/// <summary>
/// Every process the runner started, so that all of them are stopped (by PID) on normal exit,
/// on failure, on Ctrl-C and on SIGTERM.
/// </summary>
public static class ProcessRegistry
{
    private static readonly List<ChildProcess> Live = [];
    private static readonly List<Action> Cleanups = [];

    public static void Add(ChildProcess child)
    {
        lock (Live)
        {
            Live.Add(child);
        }
    }

    public static void Remove(ChildProcess child)
    {
        lock (Live)
        {
            Live.Remove(child);
        }
    }

    /// <summary>An extra cleanup step (for example tearing down the Kerberos realm); runs once.</summary>
    public static void AddCleanup(Action cleanup)
    {
        lock (Cleanups)
        {
            Cleanups.Add(cleanup);
        }
    }

    /// <summary>
    /// Runs a runner's main body: Ctrl-C cancels its token (so it unwinds and every child is stopped
    /// by PID), process exit and the end of the run stop whatever is left. An interrupted run calls
    /// <paramref name="onInterrupted"/> and returns 130.
    /// </summary>
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> run, Action onInterrupted)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
        try
        {
            return await run(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            onInterrupted();
            return 130;
        }
        finally
        {
            StopAll();
        }
    }

    /// <summary>Stops every process still running, newest first, then runs the cleanups.</summary>
    public static void StopAll()
    {
        ChildProcess[] live;
        lock (Live)
        {
            live = [.. Live];
        }

        for (int i = live.Length - 1; i >= 0; i--)
        {
            live[i].Stop();
        }

        Action[] cleanups;
        lock (Cleanups)
        {
            cleanups = [.. Cleanups];
            Cleanups.Clear();
        }

        foreach (var cleanup in cleanups)
        {
            cleanup();
        }
    }
}
