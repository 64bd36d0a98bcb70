using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Gatehouse.Protocol;

namespace Gatehouse.Remctl.Protocol;

/// <summary>
/// Payloads of the legacy remctl protocol version 1 (pure: no I/O, no GSS-API). In version 1 the client
/// sends one gss_wrap-protected command and the server answers with one gss_wrap-protected reply; there are
/// no message types.
/// <code>
/// command (client, token flags DATA|SEND_MIC):  argc (4) { length (4) argument }*argc      all big-endian
/// reply   (server, token flags DATA):           status (4, signed) length (4) output
/// </code>
/// Output is standard output and standard error merged, at most <see cref="MaxOutput"/> bytes; errors are
/// sent as a reply with status <see cref="ErrorStatus"/> and the error text plus a newline as output.
/// </summary>
public static class RemctlV1Codec
{
    /// <summary>Largest output in a reply: 64 KiB less status and length (65528, remctl's TOKEN_MAX_OUTPUT_V1).</summary>
    public const int MaxOutput = RemctlLimits.MaxMessage - 4 - 4;

    /// <summary>Status of a reply that carries an error text (remctld sends -1).</summary>
    public const int ErrorStatus = -1;

    /// <summary>Size of the reply header (status and length).</summary>
    public const int ReplyHeaderSize = 8;

    /// <summary>
    /// Parses a command payload (the unwrapped data token) into its arguments, with remctld's checks and
    /// replies: more than 64 KiB is <c>Too much data</c>, no arguments <c>Unknown command</c>, more than
    /// <paramref name="maxArguments"/> <c>Too many arguments</c>, and any length that does not add up exactly
    /// <c>Invalid command token</c>. The arguments are slices of <paramref name="plaintext"/>.
    /// </summary>
    /// <exception cref="RemctlProtocolException">The payload is malformed; its code and message are what the client is told.</exception>
    public static IReadOnlyList<ReadOnlyMemory<byte>> ParseCommand(ReadOnlyMemory<byte> plaintext, int maxArguments, long maxCommandBytes)
    {
        if (plaintext.Length > RemctlLimits.MaxMessage)
        {
            ThrowHelper.Protocol(RemctlErrorCode.TooMuchData, RemctlErrorMessages.TooMuchData);
        }

        var span = plaintext.Span;
        if (span.Length < 4)
        {
            ThrowHelper.Protocol(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
        }

        uint argc = BinaryPrimitives.ReadUInt32BigEndian(span);
        if (argc == 0)
        {
            ThrowHelper.Protocol(RemctlErrorCode.UnknownCommand, RemctlErrorMessages.UnknownCommand);
        }

        if (argc > (uint)maxArguments)
        {
            ThrowHelper.Protocol(RemctlErrorCode.TooManyArgs, RemctlErrorMessages.TooManyArgs);
        }

        int offset = 4;
        if ((ulong)(span.Length - offset) < 4UL * argc)
        {
            ThrowHelper.Protocol(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
        }

        var arguments = new ReadOnlyMemory<byte>[argc];
        long total = 0;
        for (int i = 0; i < arguments.Length; i++)
        {
            if (span.Length - offset < 4)
            {
                ThrowHelper.Protocol(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(span[offset..]);
            offset += 4;
            if (length > (uint)(span.Length - offset))
            {
                ThrowHelper.Protocol(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
            }

            total += length;
            if (total > maxCommandBytes)
            {
                ThrowHelper.Protocol(RemctlErrorCode.TooMuchData, RemctlErrorMessages.TooMuchData);
            }

            arguments[i] = plaintext.Slice(offset, (int)length);
            offset += (int)length;
        }

        if (offset != span.Length)
        {
            // Trailing bytes: more arguments than argc, or a fragment of one.
            ThrowHelper.Protocol(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
        }

        return arguments;
    }

    /// <summary>Writes a command payload: argc, then each argument with its length.</summary>
    public static void WriteCommand(IBufferWriter<byte> writer, IReadOnlyList<ReadOnlyMemory<byte>> arguments)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(arguments);
        BinaryPrimitives.WriteUInt32BigEndian(writer.GetSpan(4), (uint)arguments.Count);
        writer.Advance(4);
        foreach (var argument in arguments)
        {
            BinaryPrimitives.WriteUInt32BigEndian(writer.GetSpan(4), (uint)argument.Length);
            writer.Advance(4);
            writer.Write(argument.Span);
        }
    }

    /// <summary>Writes a reply payload: status, length, output.</summary>
    /// <exception cref="ArgumentException"><paramref name="output"/> is longer than <see cref="MaxOutput"/>.</exception>
    public static void WriteReply(IBufferWriter<byte> writer, int status, ReadOnlySpan<byte> output)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (output.Length > MaxOutput)
        {
            throw new ArgumentException($"Version 1 output is at most {MaxOutput} bytes", nameof(output));
        }

        var header = writer.GetSpan(ReplyHeaderSize);
        BinaryPrimitives.WriteInt32BigEndian(header, status);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)output.Length);
        writer.Advance(ReplyHeaderSize);
        writer.Write(output);
    }

    /// <summary>Writes an error reply as remctld does: status -1, the message and a newline as output.</summary>
    public static void WriteError(IBufferWriter<byte> writer, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        byte[] text = Encoding.UTF8.GetBytes(message + "\n");
        WriteReply(writer, ErrorStatus, text.AsSpan(0, Math.Min(text.Length, MaxOutput)));
    }

    /// <summary>
    /// Parses a reply payload as the stock client does: at least 8 bytes, and the length must equal the rest
    /// exactly.
    /// </summary>
    /// <exception cref="RemctlProtocolException">The reply is malformed.</exception>
    public static (int Status, ReadOnlyMemory<byte> Output) ParseReply(ReadOnlyMemory<byte> plaintext)
    {
        var span = plaintext.Span;
        if (span.Length < ReplyHeaderSize
            || BinaryPrimitives.ReadUInt32BigEndian(span[4..]) != (uint)(span.Length - ReplyHeaderSize))
        {
            ThrowHelper.Protocol(RemctlErrorCode.BadToken, "Malformed version 1 reply");
        }

        return (BinaryPrimitives.ReadInt32BigEndian(span), plaintext[ReplyHeaderSize..]);
    }

    /// <summary>
    /// The status a version 1 reply carries for an exit code: 0..255 as is, and anything else -1, which is
    /// what remctld sends for a program that did not exit normally.
    /// </summary>
    public static int ExitStatus(int exitCode) => exitCode is >= 0 and <= 255 ? exitCode : ErrorStatus;
}
