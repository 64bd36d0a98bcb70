using System.Diagnostics;

namespace Gatehouse.Bench.Processes;

/// <summary>Runs a .NET program (<c>dotnet exec DLL ARGS</c>) to completion, for tests that drive the benchmark or the soak as a separate process.</summary>
public static class DotnetExec
{
    /// <summary>
    /// Runs <paramref name="dll"/> with <paramref name="args"/>; past <paramref name="timeout"/> the
    /// process (and only it, by its PID, with its children) is killed and <see cref="TimeoutException"/> thrown.
    /// </summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string dll, IEnumerable<string> args, TimeSpan timeout)
    {
        // The host running a test is normally dotnet itself; fall back to dotnet on PATH.
        string host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(dll)} did not finish in {timeout.TotalSeconds:0} s:\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
