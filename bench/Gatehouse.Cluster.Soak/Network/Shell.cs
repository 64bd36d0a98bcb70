using System.Diagnostics;

namespace Gatehouse.Cluster.Soak.Network;

/// <summary>Runs the system tools the soak needs (ip, iptables) as argv, never through a shell, each with a timeout.</summary>
internal static class Shell
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="file"/> and returns its standard output.</summary>
    /// <exception cref="InvalidOperationException">It could not start, failed, or ran past the timeout (the message says which, with its stderr).</exception>
    public static string Run(string file, params string[] args)
    {
        var (exit, stdout, stderr) = TryRun(file, args);
        if (exit != 0)
        {
            throw new InvalidOperationException($"'{file} {string.Join(' ', args)}' failed with exit code {exit}: {stderr.Trim()}");
        }

        return stdout;
    }

    /// <summary>Runs <paramref name="file"/>; returns its exit code and output (exit -1 after the timeout, when it is killed).</summary>
    public static (int Exit, string Stdout, string Stderr) TryRun(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill();
            process.WaitForExit(5000);
            return (-1, stdout.Result, $"timed out after {Timeout.TotalSeconds:0} s");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a command inside network namespace <paramref name="ns"/>.</summary>
    public static string InNamespace(string ns, string file, params string[] args) => Run("ip", ["netns", "exec", ns, file, .. args]);

    /// <summary>Fails with one clear line when <paramref name="tool"/> is not installed.</summary>
    /// <exception cref="InvalidOperationException">It is missing.</exception>
    public static void Require(string tool, string package)
    {
        bool found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/sbin")
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
        if (!found)
        {
            throw new InvalidOperationException($"'{tool}' is not installed; the soak needs it (package {package})");
        }
    }
}
