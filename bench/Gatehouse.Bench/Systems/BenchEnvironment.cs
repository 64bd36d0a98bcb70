using System.Net;
using System.Net.Sockets;
using Gatehouse.Bench.Processes;

namespace Gatehouse.Bench.Systems;

/// <summary>
/// Shared by every system in one run: a private temporary directory and, made on first use with
/// <c>openssl</c>, one self-signed ECDSA P-256 certificate for 127.0.0.1 (used by NATS and gRPC
/// as server certificate, trusted CA and client certificate).
/// </summary>
public sealed class BenchEnvironment : IDisposable
{
    private (string Cert, string Key)? _tls;

    public BenchEnvironment(string? remctlRealmScript)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("gatehouse-bench-").FullName;
        RemctlRealmScript = remctlRealmScript;
    }

    /// <summary>Private temporary directory, removed at the end.</summary>
    public string Directory { get; }

    /// <summary>Path of the realm recipe (remctl-realm.sh), or null to skip remctld.</summary>
    public string? RemctlRealmScript { get; }

    /// <summary>A subdirectory of <see cref="Directory"/>.</summary>
    public string Sub(string name) => System.IO.Directory.CreateDirectory(Path.Combine(Directory, name)).FullName;

    /// <summary>The PEM certificate and key, created with openssl on first call.</summary>
    /// <exception cref="SystemUnavailableException">openssl is missing or failed.</exception>
    public async Task<(string Cert, string Key)> TlsFilesAsync()
    {
        if (_tls is { } done)
        {
            return done;
        }

        string dir = Sub("tls");
        string cert = Path.Combine(dir, "cert.pem"), key = Path.Combine(dir, "key.pem");
        string openssl = Which("openssl") ?? throw new SystemUnavailableException("openssl not found");
        var p = ChildProcess.Start("openssl", openssl,
        [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]);
        await using (p)
        {
            if (await p.WaitExitAsync(TimeSpan.FromSeconds(30)) != 0)
            {
                throw new SystemUnavailableException("openssl req failed: " + p.Tail);
            }
        }

        _tls = (cert, key);
        return (cert, key);
    }

    /// <summary>The full path of <paramref name="program"/> on PATH (or in the sbin directories), or null.</summary>
    public static string? Which(string program)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
        return dirs.Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
    }

    /// <summary>A port for a child process to listen on (see <see cref="FreePorts"/>).</summary>
    public static int FreePort() => FreePorts.Next();

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory does not affect results.
        }
        catch (UnauthorizedAccessException)
        {
            // Same: leave it for the OS temp cleaner.
        }
    }
}
