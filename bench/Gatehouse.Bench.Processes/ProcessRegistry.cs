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
