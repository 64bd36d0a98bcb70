using System.Buffers;
using Gatehouse.Protocol;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>control-payloads</c>: the <see cref="ControlPayloads"/> decoders, reached the way the read
/// loop reaches them. Input: <c>type | cut | payload</c>. A frame of that type (low 3 bits) carrying
/// the payload is built, read by <see cref="FrameReader"/> (which enforces the fixed and minimum
/// sizes the decoders rely on), and its payload, split in two at <c>cut</c>, is decoded. The same
/// payload in one buffer must decode to the same value.
/// </summary>
internal sealed class ControlPayloadsTarget : FuzzTarget
{
    public override string Name => "control-payloads";

    public override string Description => "HELLO, STATUS, WINDOW_UPDATE, CANCEL, PING, GOAWAY payload decoders behind FrameReader";

    public override bool IsExpected(Exception exception) => exception is ProtocolException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2)
        {
            return;
        }

        var type = (FrameType)(input[0] & 7);
        if (type is FrameType.Request or FrameType.Data)
        {
            type = FrameType.Hello; // request-header and frame-reader cover those
        }

        var payload = input[2..];
        uint streamId = type is FrameType.Hello or FrameType.Ping or FrameType.GoAway ? 0u : 1u;
        if (payload.Length > ProtocolSettings.MaxFrameSizeLimit)
        {
            return;
        }

        var frame = new byte[FrameHeader.Size + payload.Length];

        FrameWriter.WriteHeader(frame, payload.Length, type, FrameFlags.None, streamId);
        payload.CopyTo(frame.AsSpan(FrameHeader.Size));
        var buffer = new ReadOnlySequence<byte>(frame);
        if (!FrameReader.TryReadFrame(ref buffer, ProtocolSettings.MaxFrameSizeLimit, out var header, out _))
        {
            throw new FuzzInvariantException("a complete frame was not read");
        }

        string split = Decode(header.Type, Segments.Split(payload, input.Slice(1, 1)));
        string whole = Decode(header.Type, new ReadOnlySequence<byte>(payload.ToArray()));
        FuzzInvariantException.Check(split == whole, $"split payload decodes differently:\n  {whole}\n  {split}");
    }

    private static string Decode(FrameType type, ReadOnlySequence<byte> payload)
    {
        switch (type)
        {
            case FrameType.Hello:
                var settings = ControlPayloads.ReadHello(payload);
                FuzzInvariantException.Check(settings.MaxFrameSize is >= ProtocolSettings.MinFrameSize and <= ProtocolSettings.MaxFrameSizeLimit, "HELLO accepted an out-of-range MAX_FRAME_SIZE");
                return settings.ToString();
            case FrameType.Status:
                var status = ControlPayloads.ReadStatus(payload, 1);
                return status.ToString();
            case FrameType.WindowUpdate:
                int increment = ControlPayloads.ReadWindowUpdate(payload);
                FuzzInvariantException.Check(increment >= 0, "negative window increment");
                return increment.ToString(System.Globalization.CultureInfo.InvariantCulture);
            case FrameType.Cancel:
                return ControlPayloads.ReadCancel(payload).ToString();
            case FrameType.Ping:
                return ControlPayloads.ReadPing(payload).ToString(System.Globalization.CultureInfo.InvariantCulture);
            case FrameType.GoAway:
                var goAway = ControlPayloads.ReadGoAway(payload);
                FuzzInvariantException.Check(goAway.LastStreamId <= 0x7FFF_FFFF, "GOAWAY last stream id has the reserved bit");
                return goAway.ToString();
            default:
                throw new FuzzInvariantException($"unexpected type {type}");
        }
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        byte[] Seed(FrameType type, byte cut, byte[] frame) => [(byte)type, cut, .. frame.AsSpan(FrameHeader.Size)];

        yield return ("hello-default", Seed(FrameType.Hello, 3, Frames.Build(w => FrameWriter.WriteHello(w, ProtocolSettings.Default))));
        yield return ("hello-custom", Seed(FrameType.Hello, 7, Frames.Build(w => FrameWriter.WriteHello(w, ProtocolSettings.Default with { MaxFrameSize = 1 << 20, MaxArguments = 9, KeepAliveIntervalMs = 0 }))));
        yield return ("hello-empty", [(byte)FrameType.Hello, 2, 1, 0, 0, 0]);
        yield return ("hello-unknown-id", [(byte)FrameType.Hello, 2, 1, 0, 0, 1, 0x7F, 0x7F, 0, 0, 0, 1]);
        yield return ("hello-bad-version", [(byte)FrameType.Hello, 1, 2, 0, 0, 0]);
        yield return ("status-exit", Seed(FrameType.Status, 3, Frames.Build(w => FrameWriter.WriteStatus(w, 1, CallStatus.Exit(42)))));
        yield return ("status-error", Seed(FrameType.Status, 9, Frames.Build(w => FrameWriter.WriteStatus(w, 1, CallStatus.Error(ErrorCode.Timeout, "deadline exceeded")))));
        yield return ("status-utf8", Seed(FrameType.Status, 8, Frames.Build(w => FrameWriter.WriteStatus(w, 1, CallStatus.Error(ErrorCode.Internal, "ünïcode ✓")))));
        yield return ("window-update", Seed(FrameType.WindowUpdate, 2, Frames.Build(w => FrameWriter.WriteWindowUpdate(w, 1, 1 << 20))));
        yield return ("cancel", Seed(FrameType.Cancel, 2, Frames.Build(w => FrameWriter.WriteCancel(w, 1, ErrorCode.Cancelled))));
        yield return ("ping", Seed(FrameType.Ping, 4, Frames.Build(w => FrameWriter.WritePing(w, ulong.MaxValue, ack: true))));
        yield return ("goaway", Seed(FrameType.GoAway, 11, Frames.Build(w => FrameWriter.WriteGoAway(w, 9, ErrorCode.NoError, "server shutting down"))));
        yield return ("goaway-empty", Seed(FrameType.GoAway, 5, Frames.Build(w => FrameWriter.WriteGoAway(w, 0, ErrorCode.ProtocolError, null))));
    }
}
