using System.Text;
using Gatehouse.ZeroMq;
using Gatehouse.ZeroMq.Internal.Zmtp;
using Gatehouse.ZeroMq.Protocol;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>zeromq-reply</c>: <see cref="ZeroMqReplyDecoder"/> on a multipart reply, and the ZMTP
/// greeting and command parsers (<see cref="ZmtpWire"/>). Input: <c>mode | rest</c>. Modes 0 and 1
/// read <c>rest</c> as parts <c>{ length(8) bytes }*</c> and decode them with the default or with
/// tiny limits (4 parts, 64 bytes); mode 2 checks <c>rest</c> as a greeting, mode 3 parses it as a
/// command body. The decoder promises never to throw for bad input, so its only expected error is
/// the one <see cref="ZeroMqReplyDecoder.Decode"/> raises.
/// </summary>
internal sealed class ZeroMqReplyTarget : FuzzTarget
{
    // Made on first use: instrumented code must not run before the fork server starts.
    private ZeroMqReplyLimits? _tiny;

    public override string Name => "zeromq-reply";

    public override string Description => "ZeroMqReplyDecoder on multipart replies; ZMTP greeting and command parsing";

    public override bool IsExpected(Exception exception) => exception is ZeroMqProtocolException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var rest = input[1..];
        switch (input[0] & 3)
        {
            case 2:
                _ = ZmtpWire.CheckGreeting(rest);
                return;
            case 3:
                if (ZmtpWire.TryParseCommand(rest, out var name, out _, out _))
                {
                    FuzzInvariantException.Check(name.Length > 0, "a command without a name parsed");
                }

                return;
        }

        var limits = (input[0] & 3) == 1 ? _tiny ??= new() { MaxParts = 4, MaxBytes = 64 } : ZeroMqReplyLimits.Default;
        var parts = new List<ReadOnlyMemory<byte>>();
        while (!rest.IsEmpty)
        {
            int length = Math.Min(rest[0], rest.Length - 1);
            parts.Add(rest.Slice(1, length).ToArray());
            rest = rest[(1 + length)..];
        }

        if (ZeroMqReplyDecoder.TryDecode(parts, limits, out var reply, out var error))
        {
            FuzzInvariantException.Check(error is null, "success with an error");
            FuzzInvariantException.Check(parts.Count <= limits.MaxParts, "more parts than the limit accepted");
            FuzzInvariantException.Check(reply.Outputs.All(o => o.Stream is >= 1 and <= WireTags.MaxStream), "an output stream out of range");
            FuzzInvariantException.Check(reply is not ZeroMqReply.ErrorCode { Code: < 1 }, "an ERRORCODE below 1");
            FuzzInvariantException.Check(reply.Outputs.Count * 3 + 2 == parts.Count, "outputs do not account for every part");
        }
        else
        {
            FuzzInvariantException.Check(error is not null && !string.IsNullOrEmpty(error.Message), "failure without an error message");
            ZeroMqReplyDecoder.Decode(parts, limits); // must raise the typed error
            throw new FuzzInvariantException("Decode accepted a reply TryDecode refused");
        }
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        static byte[] Parts(byte mode, params string[] parts) =>
            [mode, .. parts.SelectMany(p => (byte[])[(byte)Encoding.UTF8.GetByteCount(p), .. Encoding.UTF8.GetBytes(p)])];

        yield return ("return-code", Parts(0, "RETURNCODE", "0"));
        yield return ("output-and-code", Parts(0, "OUTPUT", "1", "hello\n", "OUTPUT", "2", "warning\n", "RETURNCODE", "3"));
        yield return ("short-tags", Parts(0, "O", "1", "x", "R", "-1"));
        yield return ("error-code", Parts(0, "ERRORCODE", "5"));
        yield return ("error-short", Parts(0, "E", "10"));
        yield return ("tiny-limits", Parts(1, "O", "1", "0123456789012345678901234567890123456789", "R", "0"));
        yield return ("missing-code", Parts(0, "OUTPUT", "1"));
        yield return ("trailing", Parts(0, "R", "0", "O"));
        yield return ("bad-number", Parts(0, "RETURNCODE", "99999999999"));
        yield return ("bad-stream", Parts(0, "OUTPUT", "0", "x", "R", "0"));
        yield return ("greeting", [2, .. ZmtpWire.Greeting()]);
        var plain = ZmtpWire.Greeting();
        "PLAIN"u8.CopyTo(plain.AsSpan(12));
        yield return ("greeting-plain", [2, .. plain]);
        yield return ("ready", [3, .. ZmtpWire.ReadyCommand("REP").AsSpan(2)]);
        yield return ("error-command", [3, 5, .. "ERROR"u8, 6, .. "denied"u8]);
    }
}
