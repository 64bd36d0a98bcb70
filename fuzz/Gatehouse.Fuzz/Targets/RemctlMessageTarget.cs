using System.Buffers;
using Gatehouse.Remctl;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>remctl-message</c>: <see cref="RemctlMessageReader.Parse"/> and, for MESSAGE_COMMAND,
/// <see cref="RemctlCommandAssembler.Append"/>, as a server session uses them. Input:
/// <c>limits | { length(8) message }*</c>; <c>limits</c> picks small or default assembler limits.
/// Each message is handled on its own (a protocol error is answered and the session goes on),
/// so the assembler meets every order of chunks, quits and errors.
/// </summary>
internal sealed class RemctlMessageTarget : FuzzTarget
{
    public override string Name => "remctl-message";

    public override string Description => "RemctlMessageReader.Parse and RemctlCommandAssembler over a sequence of messages";

    public override bool IsExpected(Exception exception) => exception is RemctlProtocolException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 1)
        {
            return;
        }

        var limits = RemctlFuzzLimits.From(input[0]);
        var assembler = new RemctlCommandAssembler(limits.MaxArguments, limits.MaxBytes);
        var rest = input[1..];
        while (!rest.IsEmpty)
        {
            int length = Math.Min(rest[0], rest.Length - 1);
            var message = rest.Slice(1, length).ToArray();
            rest = rest[(1 + length)..];
            try
            {
                Handle(assembler, message, limits);
            }
            catch (RemctlProtocolException)
            {
                // The session answers MESSAGE_ERROR (or MESSAGE_VERSION) and reads the next message.
            }
        }
    }

    private static void Handle(RemctlCommandAssembler assembler, byte[] payload, RemctlFuzzLimits limits)
    {
        var message = RemctlMessageReader.Parse(payload);
        FuzzInvariantException.Check(message.Version is 2 or 3, $"version {message.Version} accepted");
        switch (message)
        {
            case RemctlCommandMessage command:
                if (assembler.Append(command, out var arguments))
                {
                    limits.Check(arguments);
                    FuzzInvariantException.Check(!assembler.InProgress, "a complete command left the assembler in progress");
                }

                break;
            case RemctlQuitMessage:
                assembler.Reset();
                break;
            case RemctlOutputMessage output:
                FuzzInvariantException.Check(output.Data.Length == payload.Length - 7, "output data length differs from the message");
                break;
            case RemctlErrorMessage error:
                _ = error.MessageText;
                break;
        }
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        static byte[] Messages(byte limits, params byte[][] messages) =>
            [limits, .. messages.SelectMany(m => (byte[])[(byte)m.Length, .. m])];

        static byte[] Write(Action<IBufferWriter<byte>> write)
        {
            var w = new ArrayBufferWriter<byte>();
            write(w);
            return w.WrittenSpan.ToArray();
        }

        ReadOnlyMemory<byte>[] args = ["test"u8.ToArray(), "echo"u8.ToArray(), "hello world"u8.ToArray()];
        var whole = RemctlCommandEncoder.Encode(args, keepAlive: true);
        var chunked = RemctlCommandEncoder.Encode(args, keepAlive: false, maxMessage: 16);
        yield return ("command", Messages(0, [.. whole]));
        yield return ("command-chunked", Messages(0, [.. chunked]));
        yield return ("command-default-limits", Messages(3, [.. whole, Write(RemctlMessageWriter.WriteQuit)]));
        yield return ("chunked-then-quit", Messages(0, [chunked[0], chunked[1], Write(RemctlMessageWriter.WriteQuit), .. whole]));
        yield return ("output", Messages(0, Write(w => RemctlMessageWriter.WriteOutput(w, 1, "some output\n"u8))));
        yield return ("status", Messages(0, Write(w => RemctlMessageWriter.WriteStatus(w, 3))));
        yield return ("error", Messages(0, Write(w => RemctlMessageWriter.WriteError(w, 5, "Unknown command"u8))));
        yield return ("version", Messages(0, Write(w => RemctlMessageWriter.WriteVersion(w))));
        yield return ("noop", Messages(0, Write(RemctlMessageWriter.WriteNoop)));
        yield return ("bad-version", Messages(0, [9, 1, 0, 0]));
        yield return ("empty-command", Messages(0, [2, 1, 0, 0, 0, 0, 0, 0]));
    }
}
