using System.Net.Sockets;
using System.Text;

namespace Gatehouse.Commands.Exec;

/// <summary>
/// Makes exec children die with the process that spawned them, even when that process is killed
/// with SIGKILL or crashes. A small watchdog (<c>/bin/sh</c> running the fixed <see cref="Script"/>,
/// no user data involved) is started at the first spawn, in a session of its own, with one end of
/// a socket pair as its stdin (<see cref="Prepare"/>, before the first spawn). The spawner writes <c>+PGID</c> when it starts a child and
/// <c>-PGID</c> before it reaps it. When the spawner dies for any reason the kernel closes its end,
/// the watchdog reads end-of-file and sends SIGTERM, then after a second SIGKILL, to every process
/// group still listed, then exits.
/// </summary>
/// <remarks>
/// <para>
/// Why not <c>PR_SET_PDEATHSIG</c>: posix_spawn runs no code of ours in the child, so it would take
/// an extra exec'd shim per command; the signal is tied to the spawning thread, not the process;
/// it is cleared when the child executes a set-user-ID program (every <c>sudo=</c> line); and it
/// reaches only the direct child, not the rest of its process group. The watchdog kills whole
/// groups, as a timeout does.
/// </para>
/// <para>
/// Limits: a child that leaves its process group (setsid, setpgid) escapes, as it escapes a timeout;
/// a spawner killed in the microseconds between posix_spawn returning and <see cref="Track"/> leaves
/// that one child; and if the watchdog itself is killed, the guard starts a new one at the next
/// <see cref="Track"/> and tells it every group still live. Under systemd, <c>KillMode=control-group</c>
/// (the default) also cleans up after a crashed gateway.
/// </para>
/// </remarks>
internal sealed class OrphanGuard
{
    /// <summary>The watchdog: a list of live groups kept in a shell variable; at end of input, TERM then KILL each.</summary>
    internal const string Script = """
        trap '' HUP INT TERM QUIT PIPE
        live=' '
        while IFS= read -r line; do
          case $line in
            +*) live="$live${line#+} " ;;
            -*) g=${line#-}
                case $live in *" $g "*) live="${live%% "$g" *} ${live#* "$g" }" ;; esac ;;
          esac
        done
        [ "$live" = ' ' ] && exit 0
        for g in $live; do kill -s TERM -- "-$g" 2>/dev/null; done
        sleep 1 2>/dev/null
        for g in $live; do kill -s KILL -- "-$g" 2>/dev/null; done
        exit 0
        """;

    private readonly Lock gate = new();
    private readonly HashSet<int> live = [];
    private readonly string shell;
    private Socket? watchdog;
    private int watchdogPid;
    private bool warned;

    internal OrphanGuard(string shell = "/bin/sh")
    {
        this.shell = shell;
    }

    /// <summary>The process-wide guard.</summary>
    public static OrphanGuard Instance { get; } = new();

    /// <summary>Called when a warning should be logged (the watchdog cannot start or be reached); set by the first user with a logger.</summary>
    public Action<string>? Warn { get; set; }

    /// <summary>The watchdog's PID, or 0 when none runs (for tests).</summary>
    internal int WatchdogPid
    {
        get
        {
            lock (gate)
            {
                return watchdogPid;
            }
        }
    }

    /// <summary>
    /// Starts the watchdog if none runs. Call it before spawning, so that <see cref="Track"/> right
    /// after the spawn is one non-blocking write and the window in which a crash would leave the new
    /// child behind stays a few microseconds, not the time it takes to start a shell.
    /// </summary>
    public void Prepare()
    {
        lock (gate)
        {
            if (watchdog is null)
            {
                StartUnsynchronized();
            }
        }
    }

    /// <summary>Lists process group <paramref name="pgid"/>, to be killed if this process dies before <see cref="Untrack"/>.</summary>
    public void Track(int pgid)
    {
        lock (gate)
        {
            live.Add(pgid);
            if (watchdog is null && !StartUnsynchronized())
            {
                return;
            }

            SendUnsynchronized($"+{pgid}\n");
        }
    }

    /// <summary>Removes group <paramref name="pgid"/>; call it before reaping the leader, while its PID cannot be reused.</summary>
    public void Untrack(int pgid)
    {
        lock (gate)
        {
            if (live.Remove(pgid) && watchdog is not null)
            {
                SendUnsynchronized($"-{pgid}\n");
            }
        }
    }

    private bool StartUnsynchronized()
    {
        SpawnedChild child;
        try
        {
            child = ProcessSpawner.Spawn(new SpawnRequest(
                shell,
                [Encoding.UTF8.GetBytes("gatehouse-orphan-guard"), "-c"u8.ToArray(), Encoding.UTF8.GetBytes(Script)],
                ["PATH=/usr/bin:/bin"u8.ToArray()],
                WithStdin: true,
                WorkingDirectory: "/"));
        }
        catch (SpawnException e)
        {
            WarnOnce($"cannot start the watchdog that kills exec children if this process dies ({e.Message}); they would outlive a crash");
            return false;
        }

        // Its output is not wanted: closing our ends makes any write of its get EPIPE (ignored there).
        child.Stdout.Dispose();
        child.Stderr.Dispose();
        int pid = child.Pid;
        Task exited;
        try
        {
            exited = ChildWatcher.Instance.WhenExited(pid);
        }
        catch (SpawnException e)
        {
            child.Dispose(); // The watcher has killed and reaped it.
            WarnOnce($"cannot watch the watchdog that kills exec children if this process dies ({e.Message}); they would outlive a crash");
            return false;
        }

        watchdog = child.Stdin!;
        watchdog.Blocking = false;
        watchdogPid = pid;
        Socket socket = watchdog;
        _ = exited.ContinueWith(
            _ =>
            {
                try
                {
                    ProcessGroup.Reap(pid); // Our child: reap it so it does not stay a zombie.
                }
                catch (IOException)
                {
                    // waitpid failing otherwise than EINTR/ECHILD: nothing to retry; the watchdog is gone either way.
                }

                lock (gate)
                {
                    if (ReferenceEquals(watchdog, socket))
                    {
                        Forget();
                    }
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        // A new watchdog (the previous one died) learns every group still live.
        foreach (int pgid in live)
        {
            SendUnsynchronized($"+{pgid}\n");
        }

        return true;
    }

    private void SendUnsynchronized(string line)
    {
        if (watchdog is null)
        {
            return;
        }

        byte[] bytes = Encoding.ASCII.GetBytes(line);
        try
        {
            int sent = watchdog.Send(bytes, SocketFlags.None, out SocketError error);
            if (error == SocketError.Success && sent == bytes.Length)
            {
                return;
            }

            WarnOnce(error == SocketError.WouldBlock
                ? "the exec watchdog is not reading (stopped?); a child started now might outlive a crash"
                : $"the exec watchdog is gone ({error}); a new one starts with the next command");
            if (error != SocketError.WouldBlock)
            {
                Forget();
            }
        }
        catch (ObjectDisposedException)
        {
            Forget();
        }
    }

    /// <summary>Closes the watchdog's socket without untracking anything: what the kernel does when this process dies (for tests).</summary>
    internal void Abandon()
    {
        lock (gate)
        {
            Forget();
            live.Clear();
        }
    }

    private void Forget()
    {
        watchdog?.Dispose();
        watchdog = null;
        watchdogPid = 0;
    }

    private void WarnOnce(string message)
    {
        if (!warned)
        {
            warned = true;
            Warn?.Invoke(message);
        }
    }
}
