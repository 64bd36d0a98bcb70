using Grpc.Core;

namespace Gatehouse.Bench.Grpc;

/// <summary>
/// The gRPC methods of the benchmark, written by hand over raw <c>byte[]</c> messages (no .proto,
/// no code generation): <c>bench.Echo/Echo</c> (unary), <c>bench.Echo/True</c> (unary, empty) and
/// <c>bench.Echo/Stream</c> (server streaming; the request is the byte count as 8 bytes little-endian).
/// </summary>
public static class EchoMethods
{
    public const string ServiceName = "bench.Echo";

    /// <summary>Identity marshaller: the message is the payload.</summary>
    public static readonly Marshaller<byte[]> Bytes = Marshallers.Create(static b => b, static b => b);

    public static readonly Method<byte[], byte[]> Echo = new(MethodType.Unary, ServiceName, "Echo", Bytes, Bytes);

    public static readonly Method<byte[], byte[]> True = new(MethodType.Unary, ServiceName, "True", Bytes, Bytes);

    public static readonly Method<byte[], byte[]> Stream = new(MethodType.ServerStreaming, ServiceName, "Stream", Bytes, Bytes);

    /// <summary>Size of each streamed message.</summary>
    public const int StreamChunk = 65_536;

    /// <summary>Largest message either side accepts (1 MiB payloads plus room).</summary>
    public const int MaxMessage = 16 * 1024 * 1024;
}
