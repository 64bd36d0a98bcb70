using System.Buffers.Binary;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Gatehouse.Bench.Grpc;

/// <summary>
/// The gRPC service contract, shaped like generated code: grpc-dotnet calls <see cref="BindService"/>
/// with no instance and then looks for overrides of these virtual methods on the registered type.
/// </summary>
[BindServiceMethod(typeof(EchoServiceBase), nameof(BindService))]
public abstract class EchoServiceBase
{
    /// <summary>Registers the three methods with grpc-dotnet.</summary>
    public static void BindService(ServiceBinderBase binder, EchoServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(EchoMethods.Echo, service is null ? null : service.Echo);
        binder.AddMethod(EchoMethods.True, service is null ? null : service.True);
        binder.AddMethod(EchoMethods.Stream, service is null ? null : service.Stream);
    }

    public abstract Task<byte[]> Echo(byte[] request, ServerCallContext context);

    public abstract Task<byte[]> True(byte[] request, ServerCallContext context);

    public abstract Task Stream(byte[] request, IServerStreamWriter<byte[]> responseStream, ServerCallContext context);
}

/// <summary>The gRPC echo service: echo, empty reply, and N bytes streamed in 64 KiB messages.</summary>
public sealed class EchoService : EchoServiceBase
{
    private static readonly byte[] Chunk = new byte[EchoMethods.StreamChunk];

    public override Task<byte[]> Echo(byte[] request, ServerCallContext context) => Task.FromResult(request);

    public override Task<byte[]> True(byte[] request, ServerCallContext context) => Task.FromResult(Array.Empty<byte>());

    public override async Task Stream(byte[] request, IServerStreamWriter<byte[]> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        long remaining = BinaryPrimitives.ReadInt64LittleEndian(request);
        while (remaining > 0)
        {
            byte[] message = remaining >= Chunk.Length ? Chunk : Chunk[..(int)remaining];
            await responseStream.WriteAsync(message);
            remaining -= message.Length;
        }
    }
}
