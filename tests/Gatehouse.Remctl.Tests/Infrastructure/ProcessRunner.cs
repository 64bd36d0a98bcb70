using System.Diagnostics;
using System.Text;

namespace Gatehouse.Remctl.Tests.Infrastructure;

/// <summary>Result of a finished child process.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs tools with an explicit environment; finds them or fails with a clear message.</summary>
public static class ProcessRunner
{
    private static readonly string[] SearchPath = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>Full path of a required tool, or an exception naming the Debian package to install.</summary>
    public static string Require(string tool, string package)
    {
        if (Path.IsPathRooted(tool))
        {
            return File.Exists(tool) ? tool : throw Missing(tool, package);
        }

        foreach (var dir in SearchPath)
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw Missing(tool, package);
    }

    private static InvalidOperationException Missing(string tool, string package)
        => new($"Required tool '{tool}' not found; install it with: apt-get install -y --no-install-recommends {package}");

    /// <summary>Creates start info with the given environment overlaid and stdio redirected.</summary>
    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            psi.Environment[k] = v;
        }

        return psi;
    }

    /// <summary>Runs a process to completion within <paramref name="timeout"/>; kills it (by its PID) on timeout.</summary>
    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout, string? stdin = null)
    {
        using var process = new Process { StartInfo = StartInfo(file, args, environment) };
        process.Start();
        // Read the raw output (not line by line): exact bytes matter, including a missing final newline.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }

        process.WaitForExit();
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Stops a process we started: SIGTERM to its PID, then SIGKILL after a grace period.</summary>
    public static void Stop(Process? process)
    {
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                _ = NativeMethods.Kill(process.Id, NativeMethods.SIGTERM);
                if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    process.Kill();
                    process.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }
        }
        finally
        {
            process.Dispose();
        }
    }
}
