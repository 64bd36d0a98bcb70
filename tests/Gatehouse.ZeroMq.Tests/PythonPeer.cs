using System.Diagnostics;
using System.Text;

namespace Gatehouse.ZeroMq.Tests;

/// <summary>
/// A real libzmq peer: Peers/zmq_peer.py run by Debian's /usr/bin/python3 with python3-zmq.
/// Started as a child process; stopped by its own PID on dispose (never by name).
/// </summary>
public sealed class PythonPeer : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private static readonly Lazy<string?> ZmqProblem = new(ProbeZmq);
    private readonly Process _process;

    private PythonPeer(Process process, string endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    /// <summary>The endpoint the peer bound (tcp:// with the real port, or ipc://path).</summary>
    public string Endpoint { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts a peer in "rep" or "router" mode bound to <paramref name="bind"/>.</summary>
    public static PythonPeer Start(string mode, string bind = "tcp://127.0.0.1:*")
    {
        RequireZmq();
        var script = Path.Combine(AppContext.BaseDirectory, "Peers", "zmq_peer.py");
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("--mode");
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add("--bind");
        info.ArgumentList.Add(bind);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Python}.");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        string? line;
        try
        {
            line = process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            line = null;
        }

        if (string.IsNullOrEmpty(line))
        {
            StopProcess(process);
            string errors;
            lock (stderr)
            {
                errors = stderr.ToString();
            }

            throw new InvalidOperationException($"zmq_peer.py ({mode}, {bind}) did not report its endpoint. stderr:\n{errors}");
        }

        return new PythonPeer(process, line.Trim());
    }

    /// <summary>Fails (never skips) when /usr/bin/python3 cannot import zmq.</summary>
    public static void RequireZmq()
    {
        if (ZmqProblem.Value is { } problem)
        {
            throw new InvalidOperationException(
                $"These tests need a real libzmq peer: {problem} Install it with: apt-get install -y --no-install-recommends python3-zmq");
        }
    }

    public void Dispose() => StopProcess(_process);

    private static void StopProcess(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: false);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // The process exited between HasExited and Kill: nothing left to stop.
        }
        finally
        {
            process.Dispose();
        }
    }

    private static string? ProbeZmq()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} does not exist.";
        }

        var info = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("import zmq; print(zmq.zmq_version())");
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? null : $"{Python} cannot import zmq ({error.Trim()}).";
    }
}

/// <summary>Temporary directory for ipc:// socket paths (kept short: sun_path holds 108 bytes).</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("ghzmq").FullName;

    public string Path { get; }

    public string Ipc(string name) => "ipc://" + System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A peer may still hold its socket file for a moment; the OS temp cleaner removes it.
        }
    }
}

internal static class Bytes
{
    public static ReadOnlyMemory<byte> Of(string text) => Encoding.UTF8.GetBytes(text);

    public static IReadOnlyList<ReadOnlyMemory<byte>> Args(params string[] args) => args.Select(Of).ToArray();

    public static string Text(ReadOnlyMemory<byte> data) => Encoding.UTF8.GetString(data.Span);

    public static IReadOnlyList<ReadOnlyMemory<byte>> Parts(params string[] parts) => Args(parts);
}
