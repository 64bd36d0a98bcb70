namespace Gatehouse.NodeSets;

/// <summary>
/// Prefixes one node's output with <c>node: </c> as it arrives in chunks: complete lines are
/// written at once, a partial line waits for its newline (or for <see cref="Complete"/>). Lines
/// split across chunks, <c>\r\n</c> split between chunks, and multi-byte UTF-8 characters split
/// between chunks all come out whole. Not thread-safe: one instance per node and stream.
/// </summary>
public sealed class LinePrefixWriter
{
    /// <summary>Default cap on a line's bytes; a longer line is written as several lines.</summary>
    public const int DefaultMaxLineBytes = 64 * 1024;

    private readonly TextWriter _writer;
    private readonly string _node;
    private readonly int _maxLineBytes;
    private byte[] _pending = new byte[256];
    private int _pendingLength;
    private bool _split; // the current line has already been written in part

    /// <summary>Creates a writer for one node.</summary>
    /// <param name="writer">Where prefixed lines go.</param>
    /// <param name="node">The node name used as prefix.</param>
    /// <param name="maxLineBytes">Longest line kept in memory: a line reaching this many bytes is written in
    /// pieces of at most this size (cut on a UTF-8 character boundary), whatever the chunking.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLineBytes"/> is below 16.</exception>
    public LinePrefixWriter(TextWriter writer, string node, int maxLineBytes = DefaultMaxLineBytes)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 16);
        _writer = writer;
        _node = node;
        _maxLineBytes = maxLineBytes;
    }

    /// <summary>Accepts the next chunk of output and writes every line it completes.</summary>
    /// <param name="chunk">Output bytes, any size.</param>
    public void Append(ReadOnlySpan<byte> chunk)
    {
        while (!chunk.IsEmpty)
        {
            int newline = chunk.IndexOf((byte)'\n');
            ReadOnlySpan<byte> piece = newline < 0 ? chunk : chunk[..newline];
            chunk = newline < 0 ? [] : chunk[(newline + 1)..];
            if (newline >= 0)
            {
                if (_pendingLength == 0 && !_split && piece.Length < _maxLineBytes)
                {
                    LinePrefixOutput.WriteLine(_writer, _node, LineSplitter.Decode(piece));
                }
                else
                {
                    Buffer(piece);
                    EndLine();
                }

                continue;
            }

            Buffer(piece);
        }
    }

    /// <summary>Writes the last line if it had no newline. Call once when the stream ends.</summary>
    public void Complete()
    {
        EndLine();
    }

    private void Buffer(ReadOnlySpan<byte> piece)
    {
        while (!piece.IsEmpty)
        {
            int room = _maxLineBytes - _pendingLength;
            int take = Math.Min(room, piece.Length);
            if (_pending.Length < _pendingLength + take)
            {
                Array.Resize(ref _pending, Math.Min(_maxLineBytes, Math.Max(_pending.Length * 2, _pendingLength + take)));
            }

            piece[..take].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += take;
            piece = piece[take..];
            if (_pendingLength == _maxLineBytes)
            {
                FlushOverlong();
            }
        }
    }

    /// <summary>Writes a full buffer as a line, keeping back an incomplete UTF-8 sequence at its end.</summary>
    private void FlushOverlong()
    {
        int cut = Utf8CompleteLength(_pending.AsSpan(0, _pendingLength));
        LinePrefixOutput.WriteLine(_writer, _node, LineSplitter.Decode(_pending.AsSpan(0, cut)));
        _pending.AsSpan(cut, _pendingLength - cut).CopyTo(_pending);
        _pendingLength -= cut;
        _split = true;
    }

    /// <summary>Writes what is left of the current line, unless an overlong split already wrote all of it.</summary>
    private void EndLine()
    {
        if (_pendingLength > 0)
        {
            LinePrefixOutput.WriteLine(_writer, _node, LineSplitter.Decode(_pending.AsSpan(0, _pendingLength)));
        }

        _pendingLength = 0;
        _split = false;
    }

    /// <summary>Length of <paramref name="bytes"/> without a trailing, unfinished UTF-8 sequence.</summary>
    private static int Utf8CompleteLength(ReadOnlySpan<byte> bytes)
    {
        // Look back at most 3 bytes for the lead byte of the last sequence.
        for (int back = 1; back <= Math.Min(3, bytes.Length); back++)
        {
            byte b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // continuation byte
            }

            int needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return needed > back ? bytes.Length - back : bytes.Length;
        }

        return bytes.Length;
    }
}
