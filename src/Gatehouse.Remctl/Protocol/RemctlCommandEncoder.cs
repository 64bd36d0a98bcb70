using System.Buffers;
using System.Buffers.Binary;

namespace Gatehouse.Remctl.Protocol;

/// <summary>
/// Splits a command into MESSAGE_COMMAND chunks of at most <see cref="RemctlLimits.MaxMessage"/> octets
/// (draft section 3.2). Like the stock client, a four-octet count or length is never split across chunks.
/// </summary>
public static class RemctlCommandEncoder
{
    /// <summary>
    /// Encodes <paramref name="arguments"/> (<c>[0]</c> = command) as one or more plaintext messages, each
    /// ready for gss_wrap.
    /// <code>
    /// logical command:  argc(4) | length(4) arg0 | length(4) arg1 | ...
    /// each message:     2 | 1 | keep-alive | continue (0 alone; 1, 2..., 3 when split) | next slice
    /// </code>
    /// </summary>
    public static IReadOnlyList<byte[]> Encode(IReadOnlyList<ReadOnlyMemory<byte>> arguments, bool keepAlive,
        int maxMessage = RemctlLimits.MaxMessage)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessage, 4 + 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessage, RemctlLimits.MaxMessage);

        int capacity = maxMessage - 4;
        var chunks = new List<byte[]>();
        var current = new ArrayBufferWriter<byte>(capacity);

        void Flush()
        {
            chunks.Add(current.WrittenSpan.ToArray());
            current.ResetWrittenCount();
        }

        void WriteNumber(uint value)
        {
            if (capacity - current.WrittenCount < 4)
            {
                Flush();
            }

            BinaryPrimitives.WriteUInt32BigEndian(current.GetSpan(4), value);
            current.Advance(4);
        }

        WriteNumber((uint)arguments.Count);
        foreach (var argument in arguments)
        {
            WriteNumber((uint)argument.Length);
            var rest = argument.Span;
            while (!rest.IsEmpty)
            {
                int room = capacity - current.WrittenCount;
                if (room == 0)
                {
                    Flush();
                    room = capacity;
                }

                int n = Math.Min(room, rest.Length);
                rest[..n].CopyTo(current.GetSpan(n));
                current.Advance(n);
                rest = rest[n..];
            }
        }

        if (current.WrittenCount > 0)
        {
            Flush();
        }

        var messages = new List<byte[]>(chunks.Count);
        var message = new ArrayBufferWriter<byte>(maxMessage);
        for (int i = 0; i < chunks.Count; i++)
        {
            var status = chunks.Count == 1 ? RemctlContinueStatus.Complete
                : i == 0 ? RemctlContinueStatus.First
                : i == chunks.Count - 1 ? RemctlContinueStatus.Last
                : RemctlContinueStatus.Middle;
            message.ResetWrittenCount();
            RemctlMessageWriter.WriteCommand(message, keepAlive, status, chunks[i]);
            messages.Add(message.WrittenSpan.ToArray());
        }

        return messages;
    }
}
