using Gatehouse.Commands;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Backends;

/// <summary>Command output written as DATA on the caller's stream; awaiting it is the backpressure.</summary>
internal sealed class StreamCommandOutput(MuxStream stream) : ICommandOutput
{
    public ValueTask WriteAsync(int stream1, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        stream.WriteAsync(checked((byte)stream1), data, cancellationToken: cancellationToken);
}
