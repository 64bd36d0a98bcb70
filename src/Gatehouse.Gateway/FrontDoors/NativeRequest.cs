using Gatehouse.Gateway.Pipeline;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.FrontDoors;

/// <summary>A request that came in as a stream on a native connection.</summary>
internal sealed class NativeRequest : GatewayRequest
{
    private readonly MuxStream _stream;

    public NativeRequest(Caller caller, MuxStream stream)
        : base(caller, stream.Header) => _stream = stream;

    public override RequestHeader Header => _stream.Header;

    public override MuxStream Stream => _stream;

    public override CancellationToken Aborted => _stream.Aborted;

    public override CallStatus CancelledStatus => _stream.CancelCode is { } code ? CallStatus.Error(code) : base.CancelledStatus;

    public override System.IO.Stream OpenInput(CancellationToken cancellationToken) => new CountedInput(this, new MuxInputStream(_stream, cancellationToken));

    public override ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        BytesOut += data.Length; // one writer at a time (the target's output pump)
        return _stream.WriteAsync(checked((byte)stream), data, cancellationToken: cancellationToken);
    }

    protected override void Send(in CallStatus status) => _stream.Complete(status);
}
