using System.Text;
using Gatehouse.Protocol;

namespace Gatehouse.Client;

/// <summary>What a finished call produced: output by stream number and the final status.</summary>
public sealed class CallResult
{
    internal CallResult(CallStatus status, IReadOnlyDictionary<int, byte[]> outputs)
    {
        Status = status;
        Outputs = outputs;
    }

    /// <summary>The final status: an exit code, or an error code with a message.</summary>
    public CallStatus Status { get; }

    /// <summary>All output by stream number (1 stdout, 2 stderr, others as sent).</summary>
    public IReadOnlyDictionary<int, byte[]> Outputs { get; }

    public byte[] Stdout => Outputs.GetValueOrDefault(1) ?? [];

    public byte[] Stderr => Outputs.GetValueOrDefault(2) ?? [];

    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public string StderrText => Encoding.UTF8.GetString(Stderr);

    /// <summary>The exit code, or null when the call failed with an error.</summary>
    public int? ExitCode => Status.Kind == StatusKind.Exit ? Status.Code : null;

    /// <summary>True for exit code 0.</summary>
    public bool Succeeded => Status.IsSuccess;

    /// <inheritdoc />
    public override string ToString() => $"{Status}; {Stdout.Length} bytes stdout, {Stderr.Length} bytes stderr";
}
