using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Gatehouse.Cli.Tests;

/// <summary>Runs the real <c>gatehouse</c> command (and the demo sample) as processes with private config/state dirs.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly List<Process> _started = [];

    public CliProcess()
    {
        Root = Path.Combine(Path.GetTempPath(), "gatehouse-cli-" + Guid.NewGuid().ToString("N")[..10]);
        ConfigDir = Path.Combine(Root, "config");
        StateDir = Path.Combine(Root, "state");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string ConfigDir { get; }

    public string StateDir { get; set; }

    public static string RepoRoot => Meta("RepoRoot");

    public static string Configuration => Meta("Configuration");

    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "gatehouse.dll");

    public static string DemoDll => Path.Combine(RepoRoot, "samples", "Gatehouse.Samples.Demo", "bin", Configuration, "net10.0", "Gatehouse.Samples.Demo.dll");

    public static string LocatorDll => Path.Combine(RepoRoot, "samples", "Gatehouse.Samples.Locator", "bin", Configuration, "net10.0", "Gatehouse.Samples.Locator.dll");

    private static string Meta(string key) => typeof(CliProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    public ProcessStartInfo StartInfo(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepoRoot,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["GATEHOUSE_CONFIG_DIR"] = ConfigDir;
        psi.Environment["GATEHOUSE_STATE_DIR"] = StateDir;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        return psi;
    }

    /// <summary>Runs <c>gatehouse ARGS</c> to completion.</summary>
    public async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args) => await RunWithStdinAsync(null, args);

    public async Task<(int Exit, string Stdout, string Stderr)> RunWithStdinAsync(string? stdin, params string[] args)
    {
        using var p = Process.Start(StartInfo("dotnet", [CliDll, .. args]))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
        }

        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running process and waits for a line of stdout matching <paramref name="ready"/>.</summary>
    public async Task<(Process Process, StringBuilder Output)> StartAsync(ProcessStartInfo psi, Func<string, bool> ready, TimeSpan? timeout = null)
    {
        var p = Process.Start(psi)!;
        _started.Add(p);
        var output = new StringBuilder();
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (ready(e.Data))
            {
                seen.TrySetResult();
            }
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (ready(e.Data))
            {
                seen.TrySetResult(); // some programs (prometheus) say they are ready on stderr
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var exited = p.WaitForExitAsync();
        var first = await Task.WhenAny(seen.Task, exited, Task.Delay(timeout ?? TimeSpan.FromSeconds(60)));
        if (first != seen.Task)
        {
            throw new InvalidOperationException($"process not ready ({(first == exited ? "exited " + p.ExitCode : "timeout")}):\n{output}");
        }

        return (p, output);
    }

    /// <summary>Starts <c>gatehouse gateway --listen 127.0.0.1:PORT</c>; returns its fingerprint.</summary>
    public async Task<(Process Process, string Fingerprint)> StartGatewayAsync(int port)
    {
        var (p, fp, _) = await StartGatewayWithOutputAsync(port);
        return (p, fp);
    }

    /// <summary>As <see cref="StartGatewayAsync"/>, with the gateway's output as it grows.</summary>
    public async Task<(Process Process, string Fingerprint, StringBuilder Output)> StartGatewayWithOutputAsync(int port)
    {
        var (p, output) = await StartAsync(StartInfo("dotnet", [CliDll, "gateway", "--listen", $"127.0.0.1:{port}"]), l => l.StartsWith("listening", StringComparison.Ordinal));
        string fp;
        lock (output)
        {
            fp = output.ToString().Split('\n').First(l => l.StartsWith("fingerprint", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        }

        return (p, fp, output);
    }

    /// <summary>A port for a child process to listen on (see <see cref="Gatehouse.Bench.Processes.FreePorts"/>).</summary>
    public static int FreePort() => Gatehouse.Bench.Processes.FreePorts.Next();

    /// <summary>Stops a process this test started (SIGTERM first, then kill) and waits for it.</summary>
    public static void Stop(Process p)
    {
        if (p.HasExited)
        {
            return;
        }

        _ = Kill(p.Id, 15);
        if (!p.WaitForExit(10_000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(5_000);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public void Dispose()
    {
        foreach (var p in _started)
        {
            try
            {
                Stop(p);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            p.Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort clean-up of a temp directory.
        }
    }
}
