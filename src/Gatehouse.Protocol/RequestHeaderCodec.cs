using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gatehouse.Protocol;

/// <summary>
/// Encodes and decodes the REQUEST header block (docs/protocol.md section 2.2):
/// <code>
/// Deadline ms (32) | Domain len (8) Domain | Command len (8) Command
/// | Argument count (32) { Arg length (32) Arg bytes }*
/// | Metadata count (16) { Name len (8) Name  Value length (32) Value }*
/// </code>
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // the name scratch buffers are written before they are read
public static class RequestHeaderCodec
{
    /// <summary>Returns the encoded size of <paramref name="header"/> in bytes.</summary>
    public static int GetSize(RequestHeader header)
    {
        long size = 4 + 1 + Encoding.UTF8.GetByteCount(header.Domain) + 1 + Encoding.UTF8.GetByteCount(header.Command) + 4 + 2;
        // Indexed loops: foreach over the IReadOnlyList interfaces would box an enumerator per call.
        var args = header.Arguments;
        for (int i = 0; i < args.Count; i++)
        {
            size += 4 + args[i].Length;
        }

        var meta = header.Metadata;
        for (int i = 0; i < meta.Count; i++)
        {
            var pair = meta[i];
            size += 1 + Encoding.ASCII.GetByteCount(pair.Key) + 4 + Encoding.UTF8.GetByteCount(pair.Value);
        }

        return size > int.MaxValue ? int.MaxValue : (int)size;
    }

    /// <summary>Writes <paramref name="header"/> into <paramref name="destination"/>, which must hold <see cref="GetSize"/> bytes.</summary>
    /// <exception cref="ArgumentException">A name is empty or longer than 255 bytes, or has bad characters.</exception>
    public static int Write(RequestHeader header, Span<byte> destination)
    {
        int pos = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination, header.DeadlineMs);
        pos += 4;
        pos += WriteName(header.Domain, destination[pos..], Encoding.UTF8, "domain");
        pos += WriteName(header.Command, destination[pos..], Encoding.UTF8, "command");
        BinaryPrimitives.WriteInt32BigEndian(destination[pos..], header.Arguments.Count);
        pos += 4;
        for (int i = 0; i < header.Arguments.Count; i++)
        {
            var arg = header.Arguments[i];
            BinaryPrimitives.WriteInt32BigEndian(destination[pos..], arg.Length);
            pos += 4;
            arg.Span.CopyTo(destination[pos..]);
            pos += arg.Length;
        }

        if (header.Metadata.Count > ushort.MaxValue)
        {
            throw new ArgumentException("Too many metadata entries", nameof(header));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[pos..], (ushort)header.Metadata.Count);
        pos += 2;
        for (int i = 0; i < header.Metadata.Count; i++)
        {
            var pair = header.Metadata[i];
            pos += WriteName(pair.Key, destination[pos..], Encoding.ASCII, "metadata name");
            int n = Encoding.UTF8.GetBytes(pair.Value, destination[(pos + 4)..]);
            BinaryPrimitives.WriteInt32BigEndian(destination[pos..], n);
            pos += 4 + n;
        }

        return pos;
    }

    private static int WriteName(string name, Span<byte> destination, Encoding encoding, string what)
    {
        int n = encoding.GetBytes(name, destination[1..]);
        if (n is 0 or > 255 || !IsValidName(destination.Slice(1, n), what == "metadata name"))
        {
            throw new ArgumentException($"Invalid {what} '{name}': 1 to 255 bytes, no control characters");
        }

        destination[0] = (byte)n;
        return 1 + n;
    }

    private static bool IsValidName(ReadOnlySpan<byte> name, bool metadata)
    {
        foreach (byte b in name)
        {
            if (metadata)
            {
                bool ok = b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'_' or (byte)'.' or (byte)'-';
                if (!ok)
                {
                    return false;
                }
            }
            else if (b < 0x20 || b == 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Decodes a complete header block. Every count and length is checked against the bytes that
    /// are left and against <paramref name="maxArguments"/> before anything is allocated. The
    /// arguments share one array.
    /// </summary>
    /// <param name="strings">The connection's cache of repeated strings, or null to decode every one.</param>
    /// <exception cref="ProtocolException">A stream error on <paramref name="streamId"/>: malformed block (BAD_COMMAND) or too many arguments (TOOMANY_ARGS).</exception>
    public static RequestHeader Read(ReadOnlySequence<byte> block, int maxArguments, uint streamId, HeaderStringCache? strings = null)
    {
        var reader = new SequenceReader<byte>(block);
        if (!reader.TryReadBigEndian(out int deadline))
        {
            Bad(streamId, "truncated deadline");
        }

        string domain = ReadName(ref reader, streamId, "domain", metadata: false, strings);
        string command = ReadName(ref reader, streamId, "command", metadata: false, strings);
        if (!reader.TryReadBigEndian(out int argc) || argc < 0)
        {
            Bad(streamId, "truncated argument count");
        }

        if (argc > maxArguments)
        {
            ProtocolException.ThrowStream(ErrorCode.TooManyArgs, streamId, $"{argc} arguments exceed the limit of {maxArguments}");
        }

        // Every argument takes at least its 4-byte length; refuse counts the block cannot hold.
        if ((long)argc * 4 > reader.Remaining)
        {
            Bad(streamId, "argument count larger than the block");
        }

        var args = argc == 0 ? [] : new ReadOnlyMemory<byte>[argc];
        if (argc > 0)
        {
            // First pass: validate lengths and total; second: copy into one shared array.
            var probe = reader;
            long total = 0;
            for (int i = 0; i < argc; i++)
            {
                if (!probe.TryReadBigEndian(out int len) || len < 0 || len > probe.Remaining)
                {
                    Bad(streamId, $"argument {i} length is invalid");
                }

                probe.Advance(len);
                total += len;
            }

            var storage = new byte[total];
            int offset = 0;
            for (int i = 0; i < argc; i++)
            {
                reader.TryReadBigEndian(out int len);
                reader.TryCopyTo(storage.AsSpan(offset, len));
                reader.Advance(len);
                args[i] = storage.AsMemory(offset, len);
                offset += len;
            }
        }

        if (!reader.TryReadBigEndian(out short metaCountRaw))
        {
            Bad(streamId, "truncated metadata count");
        }

        int metaCount = (ushort)metaCountRaw;
        if ((long)metaCount * 6 > reader.Remaining)
        {
            Bad(streamId, "metadata count larger than the block");
        }

        var meta = metaCount == 0 ? [] : new KeyValuePair<string, string>[metaCount];
        for (int i = 0; i < metaCount; i++)
        {
            string name = ReadName(ref reader, streamId, "metadata name", metadata: true, strings);
            if (!reader.TryReadBigEndian(out int len) || len < 0 || len > reader.Remaining)
            {
                Bad(streamId, $"metadata value {name} length is invalid");
            }

            string value = DecodeUtf8(reader.UnreadSequence.Slice(0, len), streamId, "metadata value", strings);
            reader.Advance(len);
            meta[i] = new(name, value);
        }

        if (!reader.End)
        {
            Bad(streamId, $"{reader.Remaining} bytes after the metadata");
        }

        return new RequestHeader
        {
            DeadlineMs = (uint)deadline,
            Domain = domain,
            Command = command,
            Arguments = args,
            Metadata = meta,
        };
    }

    private static string ReadName(ref SequenceReader<byte> reader, uint streamId, string what, bool metadata, HeaderStringCache? strings)
    {
        if (!reader.TryRead(out byte len) || len == 0 || len > reader.Remaining)
        {
            Bad(streamId, $"{what} length is invalid");
        }

        var bytes = reader.UnreadSequence.Slice(0, len);
        Span<byte> scratch = stackalloc byte[255];
        scoped ReadOnlySpan<byte> name;
        if (bytes.IsSingleSegment)
        {
            name = bytes.FirstSpan;
        }
        else
        {
            bytes.CopyTo(scratch);
            name = scratch[..len];
        }

        if (!IsValidName(name, metadata))
        {
            Bad(streamId, $"{what} has invalid characters");
        }

        string value = DecodeUtf8(name, streamId, what, strings);
        reader.Advance(len);
        return value;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string DecodeUtf8(ReadOnlySequence<byte> bytes, uint streamId, string what, HeaderStringCache? strings)
    {
        if (bytes.IsSingleSegment)
        {
            return DecodeUtf8(bytes.FirstSpan, streamId, what, strings);
        }

        if (strings is not null && bytes.Length <= HeaderStringCache.MaxLength)
        {
            // Short values split across segments are joined so the cache can see them.
            Span<byte> scratch = stackalloc byte[HeaderStringCache.MaxLength];
            bytes.CopyTo(scratch);
            return DecodeUtf8(scratch[..(int)bytes.Length], streamId, what, strings);
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            Bad(streamId, $"{what} is not valid UTF-8");
            return string.Empty; // not reached
        }
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes, uint streamId, string what, HeaderStringCache? strings)
    {
        int slot = -1;
        if (strings?.Find(bytes, out slot) is { } known)
        {
            return known;
        }

        try
        {
            string value = StrictUtf8.GetString(bytes);
            strings?.Add(slot, bytes, value);
            return value;
        }
        catch (DecoderFallbackException)
        {
            Bad(streamId, $"{what} is not valid UTF-8");
            return string.Empty; // not reached
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Bad(uint streamId, string what) =>
        ProtocolException.ThrowStream(ErrorCode.BadCommand, streamId, "Malformed request header: " + what);
}
