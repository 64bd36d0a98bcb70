using System.Buffers;
using BenchmarkDotNet.Attributes;
using Gatehouse.Protocol;

namespace Gatehouse.Bench.Micro;

/// <summary>
/// Frame parsing and writing over a buffer of <see cref="Frames"/> DATA frames of
/// <see cref="PayloadBytes"/> bytes each. Figures are per frame (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private const int Frames = 1_000;
    private readonly ArrayBufferWriter<byte> _writer = new(1 << 20);
    private byte[] _payload = [];
    private ReadOnlySequence<byte> _frames;
    private ReadOnlySequence<byte> _segmentedFrames;

    [Params(64, 16_384)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[PayloadBytes];
        var buffer = new ArrayBufferWriter<byte>();
        for (int i = 0; i < Frames; i++)
        {
            FrameWriter.WriteData(buffer, (uint)((i % 100) + 1), 1, _payload, endStream: false);
        }

        byte[] bytes = buffer.WrittenSpan.ToArray();
        _frames = new ReadOnlySequence<byte>(bytes);
        _segmentedFrames = Segments.Split(bytes, 4_096);
    }

    /// <summary>FrameReader.TryReadFrame over one contiguous buffer.</summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    public long ParseContiguous() => Parse(_frames);

    /// <summary>The same frames in 4 KiB segments, as a PipeReader delivers them (headers may straddle segments).</summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    public long ParseSegmented() => Parse(_segmentedFrames);

    /// <summary>FrameWriter.WriteData into a reused ArrayBufferWriter.</summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    public int WriteData()
    {
        _writer.ResetWrittenCount();
        for (int i = 0; i < Frames; i++)
        {
            FrameWriter.WriteData(_writer, 7, 1, _payload, endStream: false);
        }

        return _writer.WrittenCount;
    }

    private static long Parse(ReadOnlySequence<byte> buffer)
    {
        long total = 0;
        while (FrameReader.TryReadFrame(ref buffer, ProtocolSettings.MaxFrameSizeLimit, out var header, out var payload))
        {
            total += header.StreamId + payload.Length;
        }

        return total;
    }
}
