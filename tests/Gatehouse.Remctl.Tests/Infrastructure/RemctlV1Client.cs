using System.Text;
using System.Text.Json;

namespace Gatehouse.Remctl.Tests.Infrastructure;

/// <summary>What the raw protocol version 1 client (Interop/remctl_v1_client.py) saw.</summary>
/// <param name="ContextFlags">Flags of every context token the server sent.</param>
/// <param name="MicVerified">The server's MIC over the command was received and verified.</param>
/// <param name="ReplyFlags">Flags of the reply token.</param>
/// <param name="Status">The reply's status.</param>
/// <param name="Output">The reply's output bytes.</param>
/// <param name="ClosedAfter">The server closed the connection after its reply.</param>
/// <param name="Error">Where the server closed instead of answering, or null.</param>
public sealed record RemctlV1Reply(IReadOnlyList<int> ContextFlags, bool MicVerified, int? ReplyFlags, int? Status, byte[] Output,
    bool? ClosedAfter, string? Error)
{
    public string Text => Encoding.UTF8.GetString(Output);

    /// <summary>Everything the server said, for side-by-side comparison.</summary>
    public string Describe() => $"context={string.Join(',', ContextFlags.Select(f => $"0x{f:x2}"))} mic={MicVerified} reply=0x{ReplyFlags:x2} status={Status} closed={ClosedAfter} error={Error} output({Output.Length})={Convert.ToHexString(Output.AsSpan(0, Math.Min(Output.Length, 64)))}";
}

/// <summary>Runs the raw protocol version 1 client (python3-gssapi) in the test realm.</summary>
public static class RemctlV1Client
{
    private const string Python = "/usr/bin/python3";

    /// <summary>Fails with the install hint when python3-gssapi is missing.</summary>
    public static async Task RequireAsync(KerberosRealm realm)
    {
        ProcessRunner.Require(Python, "python3");
        var check = await realm.RunAsync(Python, ["-c", "import gssapi"]);
        if (check.ExitCode != 0)
        {
            throw new InvalidOperationException("python3-gssapi is not importable by /usr/bin/python3; install it with: apt-get install -y --no-install-recommends python3-gssapi\n" + check);
        }
    }

    /// <summary>Sends a command (arguments as UTF-8) with TOKEN_SEND_MIC.</summary>
    public static Task<RemctlV1Reply> CommandAsync(KerberosRealm realm, int port, params string[] args)
        => RunAsync(realm, port, ["command", .. args]);

    /// <summary>Sends <paramref name="payload"/> as the command payload, as is.</summary>
    public static Task<RemctlV1Reply> RawAsync(KerberosRealm realm, int port, byte[] payload, bool sendMic = true)
        => RunAsync(realm, port, [.. sendMic ? Array.Empty<string>() : ["--no-mic"], "raw", Convert.ToHexString(payload)]);

    private static async Task<RemctlV1Reply> RunAsync(KerberosRealm realm, int port, string[] args)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "remctl_v1_client.py");
        var result = await realm.RunAsync(Python, [script, port.ToString(), .. args], TimeSpan.FromSeconds(120));
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        int? Int(string name) => json.TryGetProperty(name, out var v) ? v.GetInt32() : null;
        return new RemctlV1Reply(
            [.. json.GetProperty("context_flags").EnumerateArray().Select(e => e.GetInt32())],
            json.GetProperty("mic").ValueKind == JsonValueKind.String,
            Int("reply_flags"),
            Int("status"),
            json.TryGetProperty("output", out var o) ? Convert.FromBase64String(o.GetString()!) : [],
            json.TryGetProperty("closed_after", out var c) ? c.GetBoolean() : null,
            json.TryGetProperty("error", out var e) ? e.GetString() : null);
    }
}
