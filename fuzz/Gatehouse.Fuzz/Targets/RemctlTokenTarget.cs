using System.Buffers;
using Gatehouse.Remctl;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>remctl-token</c>: <see cref="RemctlTokenReader.TryParseMessage"/> over a stream of tokens.
/// Input: <c>cut1 | cut2 | limit | bytes</c>, read from one buffer and from three segments;
/// both must give the same tokens and the same error. Checks the consumed/examined contract.
/// </summary>
internal sealed class RemctlTokenTarget : FuzzTarget
{
    private static readonly int[] Limits = [1, 64, 65_536, RemctlLimits.MaxTokenPayload];

    public override string Name => "remctl-token";

    public override string Description => "RemctlTokenReader.TryParseMessage over one buffer and over split buffers";

    public override bool IsExpected(Exception exception) => exception is RemctlProtocolException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 3)
        {
            return;
        }

        var reader = new RemctlTokenReader(Limits[input[2] & 3]);
        var data = input[3..];
        string whole = ReadAll(reader, new ReadOnlySequence<byte>(data.ToArray()));
        string split = ReadAll(reader, Segments.Split(data, input[..2]));
        FuzzInvariantException.Check(whole == split, $"split buffers read differently:\n  one buffer: {whole}\n  split:      {split}");
        if (whole.EndsWith("!error", StringComparison.Ordinal))
        {
            throw new RemctlProtocolException("rejected (the same way in both buffers)");
        }
    }

    private static string ReadAll(RemctlTokenReader reader, ReadOnlySequence<byte> buffer)
    {
        var transcript = new System.Text.StringBuilder();
        try
        {
            while (true)
            {
                var consumed = buffer.Start;
                var examined = buffer.Start;
                if (!reader.TryParseMessage(buffer, ref consumed, ref examined, out var token))
                {
                    FuzzInvariantException.Check(consumed.Equals(buffer.Start), "a false return moved consumed");
                    FuzzInvariantException.Check(examined.Equals(buffer.End), "a false return did not examine to the end");
                    transcript.Append("more");
                    return transcript.ToString();
                }

                long used = buffer.Slice(buffer.Start, consumed).Length;
                FuzzInvariantException.Check(used == RemctlLimits.TokenHeaderSize + token.Payload.Length, "consumed differs from header + payload");
                FuzzInvariantException.Check(examined.Equals(consumed), "examined differs from consumed after a token");
                FuzzInvariantException.Check(token.Payload.Length <= reader.MaxPayload, "token over the limit accepted");
                transcript.Append($"{(byte)token.Flags}/{Convert.ToHexString(token.Payload.ToArray())} ");
                buffer = buffer.Slice(consumed);
            }
        }
        catch (RemctlProtocolException e)
        {
            transcript.Append(e.ErrorCode).Append(' ').Append(e.Message).Append("!error");
            return transcript.ToString();
        }
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        static byte[] Token(RemctlTokenFlags flags, ReadOnlySpan<byte> payload)
        {
            var w = new ArrayBufferWriter<byte>();
            RemctlTokenWriter.WriteToken(w, flags, payload);
            return w.WrittenSpan.ToArray();
        }

        yield return ("initial-v2", [2, 4, 2, .. Token(RemctlLimits.InitialV2, [])]);
        yield return ("context", [3, 9, 2, .. Token(RemctlTokenFlags.Context | RemctlTokenFlags.Protocol, "gss-api-token-bytes"u8)]);
        yield return ("data", [1, 7, 2, .. Token(RemctlTokenFlags.Data | RemctlTokenFlags.Protocol, [2, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t'])]);
        yield return ("two-tokens", [5, 12, 2, .. Token(RemctlTokenFlags.Data, [1, 2, 3]), .. Token(RemctlTokenFlags.Noop, [])]);
        yield return ("partial", [1, 3, 2, .. Token(RemctlTokenFlags.Data, [1, 2, 3, 4, 5])[..7]]);
        yield return ("too-long", [1, 3, 0, .. Token(RemctlTokenFlags.Data, [1, 2])]);
    }
}
