using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gatehouse.Bench.Processes;

namespace Gatehouse.Cluster.Soak.Cluster;

/// <summary>
/// One run of a real <c>gatehouse gateway</c> process inside its network namespace
/// (<c>ip netns exec NS dotnet exec gatehouse.dll gateway ...</c>; ip execs, so the PID is the
/// gateway's). Every output line is stamped on arrival with the soak's one clock, appended to the
/// member's log file, and parsed for membership events. Signalled only by its own PID.
/// </summary>
internal sealed class GatewayProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _tail = new();
    private readonly StreamWriter _log;
    private readonly Stopwatch _clock;
    private readonly EventLog _events;
    private readonly int _index;
    private readonly string _self;

    private GatewayProcess(Process process, int index, string self, Stopwatch clock, EventLog events, StreamWriter log)
    {
        _process = process;
        _index = index;
        _self = self;
        _clock = clock;
        _events = events;
        _log = log;
    }

    public int Pid { get; private set; }

    /// <summary>True when the process ended without the soak killing it (a crash).</summary>
    public bool ExitedUnexpectedly => HasExited && Volatile.Read(ref _killed) == 0;

    private int _killed;

    /// <summary>Starts the process; it is ready once its banner's <c>member</c> line is out.</summary>
    public static GatewayProcess Start(int index, string self, string ns, string cliDll, IEnumerable<string> gatewayArgs, string configDir, string logPath, Stopwatch clock, EventLog events)
    {
        var (dotnet, prefix) = ChildProcess.DotnetCommand(cliDll);
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in (string[])["netns", "exec", ns, dotnet, .. prefix, "gateway", .. gatewayArgs])
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["GATEHOUSE_CONFIG_DIR"] = configDir;
        info.Environment["DOTNET_NOLOGO"] = "1";
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        var gateway = new GatewayProcess(process, index, self, clock, events, log);
        process.OutputDataReceived += (_, e) => gateway.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.OnLine(e.Data);
        process.Start();
        gateway.Pid = process.Id;
        log.WriteLine($"--- started pid {process.Id} at {clock.Elapsed.TotalSeconds:0.000}s: ip {string.Join(' ', info.ArgumentList)}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return gateway;
    }

    /// <summary>Waits for the banner; throws with the last output lines when the process exits first or the time runs out.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancel)
    {
        var exited = _process.WaitForExitAsync(cancel);
        var first = await Task.WhenAny(_ready.Task, exited, Task.Delay(timeout, cancel));
        cancel.ThrowIfCancellationRequested();
        if (first != _ready.Task)
        {
            throw new TimeoutException($"gateway {_index} (pid {Pid}) {(first == exited ? "exited with " + _process.ExitCode : $"not ready after {timeout.TotalSeconds:0} s")}:\n{Tail}");
        }
    }

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <summary>The last output lines (for error messages).</summary>
    public string Tail
    {
        get
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    /// <summary>Sends <paramref name="signal"/> to this process (by PID); false when it is gone.</summary>
    public bool Signal(int signal) => !HasExited && NativeSignals.Send(Pid, signal);

    /// <summary>SIGKILL, then waits until it is reaped (bounded).</summary>
    public void Kill(TimeSpan wait)
    {
        Volatile.Write(ref _killed, 1);
        if (!HasExited)
        {
            NativeSignals.Send(Pid, Signals.Continue); // a stopped process dies on SIGKILL too; this only keeps its pipes flowing
            NativeSignals.Send(Pid, NativeSignals.SigKill);
        }

        _process.WaitForExit((int)wait.TotalMilliseconds);
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        double at = _clock.Elapsed.TotalSeconds;
        lock (_log)
        {
            try
            {
                _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{at,10:0.000} {line}"));
            }
            catch (ObjectDisposedException)
            {
                // The soak is finishing; the last lines are not needed.
            }
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > 30)
            {
                _tail.Dequeue();
            }
        }

        if (line.StartsWith("member ", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
        else if (MemberEvent.Parse(line, _self) is { } e)
        {
            _events.Add(new MemberEvent(at, _index, e.Member, e.Kind));
        }
    }

    public void Dispose()
    {
        Kill(TimeSpan.FromSeconds(10));
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}

/// <summary>Signal numbers of Linux (x86-64 and arm64) the soak sends besides SIGKILL.</summary>
internal static class Signals
{
    public const int Stop = 19;

    public const int Continue = 18;
}
