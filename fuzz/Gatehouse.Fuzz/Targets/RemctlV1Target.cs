using System.Buffers;
using Gatehouse.Remctl;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>remctl-v1</c>: <see cref="RemctlV1Codec.ParseCommand"/> as the server uses it on an unwrapped
/// protocol version 1 command, and <see cref="RemctlV1Codec.ParseReply"/> on the same bytes. Input:
/// <c>limits | payload</c>; <c>limits</c> picks small or remctld's default limits. A parsed command must be
/// within the limits and encode back to exactly the input.
/// </summary>
internal sealed class RemctlV1Target : FuzzTarget
{
    public override string Name => "remctl-v1";

    public override string Description => "RemctlV1Codec.ParseCommand and ParseReply (protocol version 1 payloads)";

    public override bool IsExpected(Exception exception) => exception is RemctlProtocolException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 1)
        {
            return;
        }

        var limits = RemctlFuzzLimits.From(input[0]);
        byte[] payload = input[1..].ToArray();
        try
        {
            var (_, output) = RemctlV1Codec.ParseReply(payload);
            FuzzInvariantException.Check(output.Length == payload.Length - RemctlV1Codec.ReplyHeaderSize, "reply output length differs from the payload");
        }
        catch (RemctlProtocolException)
        {
            // A client reports a malformed reply and closes.
        }

        var arguments = RemctlV1Codec.ParseCommand(payload, limits.MaxArguments, limits.MaxBytes);
        limits.Check(arguments);
        var again = new ArrayBufferWriter<byte>();
        RemctlV1Codec.WriteCommand(again, arguments);
        FuzzInvariantException.Check(again.WrittenSpan.SequenceEqual(payload), "a parsed command does not encode back to its payload");
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        static byte[] Command(byte limits, params string[] args)
        {
            var w = new ArrayBufferWriter<byte>();
            RemctlV1Codec.WriteCommand(w, [.. args.Select(a => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes(a))]);
            return [limits, .. w.WrittenSpan];
        }

        static byte[] Reply(int status, string text)
        {
            var w = new ArrayBufferWriter<byte>();
            RemctlV1Codec.WriteReply(w, status, System.Text.Encoding.UTF8.GetBytes(text));
            return [3, .. w.WrittenSpan];
        }

        yield return ("command", Command(0, "test", "echo", "hello world"));
        yield return ("command-default-limits", Command(3, "test", "args", "", "x"));
        yield return ("no-arguments", [0, 0, 0, 0, 0]);
        yield return ("too-many-arguments", [0, 0, 0, 0, 9, 0, 0, 0, 1, (byte)'a']);
        yield return ("length-past-end", [0, 0, 0, 0, 1, 0, 0, 0, 9, (byte)'a']);
        yield return ("reply", Reply(0, "out\n"));
        yield return ("error-reply", Reply(-1, "Access denied\n"));
    }
}
