using System.Buffers;
using Gatehouse.Protocol;

namespace Gatehouse.Fuzz;

/// <summary>Helpers the seed generators share: frames written by the real writers.</summary>
internal static class Frames
{
    /// <summary>A header with every field in use (deadline, arguments with binary bytes, metadata).</summary>
    public static RequestHeader SampleHeader { get; } = new()
    {
        DeadlineMs = 30_000,
        Domain = "mail",
        Command = "queue-size",
        Arguments = [new byte[] { (byte)'-', (byte)'v' }, new byte[] { 0, 255, 10 }, Array.Empty<byte>()],
        Metadata = [new("REMOTE_USER", "alice"), new("TRACE-ID", "7f3a.1"), new("EMPTY", "")],
    };

    /// <summary>Returns the bytes <paramref name="write"/> puts into a buffer.</summary>
    public static byte[] Build(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The encoded header block of <paramref name="header"/>.</summary>
    public static byte[] Encode(RequestHeader header)
    {
        var block = new byte[RequestHeaderCodec.GetSize(header)];
        int n = RequestHeaderCodec.Write(header, block);
        return block[..n];
    }
}
