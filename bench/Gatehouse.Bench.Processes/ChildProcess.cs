using System.Diagnostics;
using System.Text;

namespace Gatehouse.Bench.Processes;

/// <summary>
/// A process this benchmark started: its output is kept (last lines, for error reports), it can
/// announce readiness with a <c>READY ...</c> line, and it is stopped by its PID: stdin is closed
/// (our own roles exit on that), then SIGTERM, then SIGKILL.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _tail = new();
    private int _stopped;
    private int _readyLines;

    private readonly string? _readyMarker;

    private ChildProcess(string role, Process process, string? readyMarker)
    {
        Role = role;
        _process = process;
        _readyMarker = readyMarker;
        // A process that exits without READY faults this task; observe it so nobody has to.
        _ready.Task.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>What the process is for (gateway, service, nats-server, ...).</summary>
    public string Role { get; }

    /// <summary>The operating-system process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Recent output lines, for diagnostics.</summary>
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

    /// <summary>Starts <paramref name="file"/> and registers it with <see cref="ProcessRegistry"/>.</summary>
    /// <param name="readyMarker">Text in an output line that also means ready (for programs that are not ours).</param>
    public static ChildProcess Start(string role, string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? readyMarker = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(role, process, readyMarker);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Exited += (_, _) =>
        {
            // Let the output readers reach end-of-file first: a READY line printed just before exit counts.
            process.WaitForExit();
            child._ready.TrySetException(new InvalidOperationException($"{role} exited with {process.ExitCode}:\n{child.Tail}"));
        };
        process.Start();
        ProcessRegistry.Add(child);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Starts our own executable in <paramref name="role"/>.</summary>
    public static ChildProcess StartRole(string role, params string[] arguments)
    {
        var (file, prefix) = SelfCommand();
        return Start(role, file, [.. prefix, role, .. arguments]);
    }

    /// <summary>How to run this executable again: the apphost, or <c>dotnet exec NAME.dll</c> (the entry assembly).</summary>
    public static (string File, string[] Prefix) SelfCommand()
    {
        string host = Environment.ProcessPath ?? "dotnet";
        string name = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? throw new InvalidOperationException("no entry assembly");
        string dll = Path.Combine(AppContext.BaseDirectory, name + ".dll");
        return Path.GetFileNameWithoutExtension(host) == "dotnet" ? (host, ["exec", dll]) : (host, []);
    }

    /// <summary>A .NET program (<paramref name="dll"/>) started the way this process was: <c>dotnet exec DLL</c>.</summary>
    public static (string File, string[] Prefix) DotnetCommand(string dll)
    {
        string host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        return (host, ["exec", dll]);
    }

    /// <summary>Waits for the <c>READY</c> line and returns what follows it.</summary>
    public async Task<string> WaitReadyAsync(TimeSpan timeout)
    {
        try
        {
            return await _ready.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Role} (pid {Pid}) did not become ready in {timeout.TotalSeconds:0} s:\n{Tail}");
        }
    }

    /// <summary>How many <c>READY</c> lines the process has printed (a role may announce readiness again, e.g. after reconnecting).</summary>
    public int ReadyLines => Volatile.Read(ref _readyLines);

    /// <summary>Waits for the process to exit by itself.</summary>
    public async Task<int> WaitExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Role} (pid {Pid}) did not finish in {timeout.TotalSeconds:0} s:\n{Tail}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>CPU seconds used so far; null once the process is gone.</summary>
    public CpuSample? Cpu(bool includeChildren = false) => ProcStat.Read(Pid, includeChildren);

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line.StartsWith("READY", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _readyLines);
            _ready.TrySetResult(line.Length > 6 ? line[6..] : string.Empty);
            return;
        }

        if (_readyMarker is not null && line.Contains(_readyMarker, StringComparison.Ordinal))
        {
            _ready.TrySetResult(line);
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > 40)
            {
                _tail.Dequeue();
            }
        }
    }

    /// <summary>True once the process has exited.</summary>
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

    /// <summary>
    /// Sends SIGKILL (chaos: the process gets no chance to clean up) and waits for it to be reaped.
    /// </summary>
    public void KillNow(TimeSpan wait)
    {
        Interlocked.Exchange(ref _stopped, 1);
        try
        {
            NativeSignals.Send(_process.Id, NativeSignals.SigKill);
            _process.WaitForExit((int)wait.TotalMilliseconds);
        }
        catch (InvalidOperationException)
        {
            // Already gone and reaped.
        }
        finally
        {
            ProcessRegistry.Remove(this);
        }
    }

    /// <summary>
    /// Sends SIGTERM and waits up to <paramref name="grace"/> for the process to exit; then SIGKILL.
    /// Returns true when it exited on SIGTERM alone.
    /// </summary>
    public bool TerminateNow(TimeSpan grace)
    {
        Interlocked.Exchange(ref _stopped, 1);
        try
        {
            NativeSignals.Terminate(_process.Id);
            if (_process.WaitForExit((int)grace.TotalMilliseconds))
            {
                return true;
            }

            NativeSignals.Send(_process.Id, NativeSignals.SigKill);
            _process.WaitForExit(5000);
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
        finally
        {
            ProcessRegistry.Remove(this);
        }
    }

    /// <summary>The exit code, or null while the process runs.</summary>
    public int? ExitCode
    {
        get
        {
            try
            {
                return _process.HasExited ? _process.ExitCode : null;
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }
    }

    /// <summary>Stops the process: stdin EOF, then SIGTERM, then SIGKILL, each with a grace period.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        try
        {
            if (_process.HasExited)
            {
                return;
            }

            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The pipe is already broken: the process is exiting; SIGTERM below covers the rest.
            }

            if (_process.WaitForExit(3000))
            {
                return;
            }

            NativeSignals.Terminate(_process.Id);
            if (!_process.WaitForExit(3000))
            {
                _process.Kill();
                _process.WaitForExit(3000);
            }
        }
        catch (InvalidOperationException)
        {
            // The process object no longer refers to a running process: nothing to stop.
        }
        finally
        {
            ProcessRegistry.Remove(this);
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
