using System.Buffers;
using Gatehouse.Protocol;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>request-header</c>: <see cref="RequestHeaderCodec.Read"/>. Input: <c>cut1 | cut2 | maxArgs | block</c>.
/// The block is decoded from one buffer without a string cache and from three segments with a
/// cache (twice, so the second read hits it); all three must agree. A block that decodes must
/// re-encode to exactly the same bytes.
/// </summary>
internal sealed class RequestHeaderTarget : FuzzTarget
{
    public override string Name => "request-header";

    public override string Description => "RequestHeaderCodec.Read over one and split buffers, cache on and off, encode round trip";

    public override bool IsExpected(Exception exception) => exception is ProtocolException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 3)
        {
            return;
        }

        int maxArguments = input[2];
        var block = input[3..].ToArray();
        var split = Segments.Split(block, input[..2]);
        var cache = new HeaderStringCache();

        var whole = Outcome(() => RequestHeaderCodec.Read(new ReadOnlySequence<byte>(block), maxArguments, 1));
        var first = Outcome(() => RequestHeaderCodec.Read(split, maxArguments, 1, cache));
        var second = Outcome(() => RequestHeaderCodec.Read(split, maxArguments, 1, cache));
        FuzzInvariantException.Check(whole.Text == first.Text, $"split buffers with a cache decode differently:\n  {whole.Text}\n  {first.Text}");
        FuzzInvariantException.Check(first.Text == second.Text, $"a second decode through the cache differs:\n  {first.Text}\n  {second.Text}");

        if (whole.Header is null)
        {
            throw whole.Error!;
        }

        var header = whole.Header;
        FuzzInvariantException.Check(header.Arguments.Count <= maxArguments, "more arguments than the limit");
        int size = RequestHeaderCodec.GetSize(header);
        FuzzInvariantException.Check(size == block.Length, $"GetSize says {size} for a {block.Length}-byte block");
        var again = new byte[size];
        int written = RequestHeaderCodec.Write(header, again);
        FuzzInvariantException.Check(written == size && again.AsSpan().SequenceEqual(block), "re-encoding does not give back the block");
    }

    private readonly record struct Result(RequestHeader? Header, ProtocolException? Error, string Text);

    private static Result Outcome(Func<RequestHeader> read)
    {
        try
        {
            var h = read();
            var text = new System.Text.StringBuilder($"{h.DeadlineMs}|{h.Domain}|{h.Command}|");
            foreach (var arg in h.Arguments)
            {
                text.Append(Convert.ToHexString(arg.Span)).Append(',');
            }

            foreach (var pair in h.Metadata)
            {
                text.Append(pair.Key).Append('=').Append(pair.Value).Append(';');
            }

            return new Result(h, null, text.ToString());
        }
        catch (ProtocolException e)
        {
            return new Result(null, e, $"{e.Code}/{e.StreamId}: {e.Message}");
        }
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        byte[] Prefix(byte cut1, byte cut2, byte max, byte[] block) => [cut1, cut2, max, .. block];

        var sample = Frames.Encode(Frames.SampleHeader);
        yield return ("sample", Prefix(6, 30, 16, sample));
        yield return ("sample-split-names", Prefix(7, 20, 16, sample));
        yield return ("minimal", Prefix(3, 9, 4, Frames.Encode(new RequestHeader { Domain = "d", Command = "c" })));
        yield return ("utf8-names", Prefix(8, 12, 4, Frames.Encode(new RequestHeader { Domain = "café", Command = "größe", Metadata = [new("X", "ünï")] })));
        yield return ("many-args", Prefix(5, 50, 64, Frames.Encode(new RequestHeader
        {
            Domain = "default",
            Command = "echo",
            Arguments = [.. Enumerable.Range(0, 20).Select(i => (ReadOnlyMemory<byte>)new byte[i % 4])],
        })));
        yield return ("too-many-args", Prefix(5, 50, 2, Frames.Encode(new RequestHeader
        {
            Domain = "default",
            Command = "echo",
            Arguments = [new byte[1], new byte[1], new byte[1]],
        })));
        var longValue = Frames.Encode(new RequestHeader { Domain = "gatehouse", Command = "status", Metadata = [new("REMOTE_ADDR", new string('a', 200))] });
        yield return ("long-metadata", Prefix(40, 120, 1, longValue));
        yield return ("truncated", Prefix(3, 4, 16, sample[..^3]));
        yield return ("trailing", Prefix(3, 4, 16, [.. sample, 0]));
        yield return ("bad-utf8", Prefix(1, 6, 16, [0, 0, 0, 0, 2, 0xC3, 0x28, 1, (byte)'c', 0, 0, 0, 0, 0, 0]));
    }
}
