using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Gatehouse.Protocol;

namespace Gatehouse.Bench.Micro;

/// <summary>Encoding and decoding a typical request header (domain, command, 3 arguments, 4 metadata pairs).</summary>
[MemoryDiagnoser]
public class RequestHeaderBenchmarks
{
    private readonly RequestHeader _header = new()
    {
        Domain = "bench",
        Command = "echo",
        Arguments = [.. new[] { "status", "--verbose", "node17.example.org" }.Select(a => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(a))],
        Metadata =
        [
            new("REMOTE_USER", "alice@EXAMPLE.ORG"),
            new("REMOTE_ADDR", "127.0.0.1"),
            new("REMOTE_HOST", "localhost"),
            new("REMCTL_COMMAND", "echo"),
        ],
        DeadlineMs = 30_000,
    };

    private byte[] _buffer = [];
    private ReadOnlySequence<byte> _encoded;

    [GlobalSetup]
    public void Setup()
    {
        _buffer = new byte[RequestHeaderCodec.GetSize(_header)];
        int n = RequestHeaderCodec.Write(_header, _buffer);
        _encoded = new ReadOnlySequence<byte>(_buffer.AsMemory(0, n).ToArray());
    }

    [Benchmark]
    public int Encode() => RequestHeaderCodec.Write(_header, _buffer.AsSpan(0, RequestHeaderCodec.GetSize(_header)));

    [Benchmark]
    public RequestHeader Decode() => RequestHeaderCodec.Read(_encoded, 4_096, 1);
}
