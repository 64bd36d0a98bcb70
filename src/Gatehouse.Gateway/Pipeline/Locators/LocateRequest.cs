using System.Buffers;
using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Pipeline.Locators;

/// <summary>
/// The question a gateway puts to a locator, as a request of its own (so it travels like any
/// other: to an attached locator, or forwarded to the member hosting one), on behalf of the caller
/// whose request needs placing (the locator sees that caller's REMOTE_USER). Keeps at most
/// <see cref="LocatorAnswer.MaxBytes"/> of stdout; never answered through the pipeline.
/// </summary>
internal sealed class LocateRequest(Caller caller, RequestHeader header) : GatewayRequest(caller, header)
{
    private readonly ArrayBufferWriter<byte> _stdout = new(128);

    public override RequestHeader Header { get; } = header;

    public override CancellationToken Aborted => CancellationToken.None;

    /// <summary>The locator's stdout so far.</summary>
    public ReadOnlySpan<byte> Stdout => _stdout.WrittenSpan;

    /// <summary>True when the locator wrote more than <see cref="LocatorAnswer.MaxBytes"/> (the rest was dropped).</summary>
    public bool Overflowed { get; private set; }

    public override Stream? OpenInput(CancellationToken cancellationToken) => null;

    public override ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (stream == 1)
        {
            if (Overflowed || _stdout.WrittenCount + data.Length > LocatorAnswer.MaxBytes)
            {
                Overflowed = true; // read and dropped (credit goes back): memory stays bounded
            }
            else
            {
                _stdout.Write(data.Span);
            }
        }

        return ValueTask.CompletedTask;
    }

    protected override void Send(in CallStatus status)
    {
        // The asker reads the status from the target; nothing goes to a caller.
    }
}
