namespace Gatehouse.Transport.Mux;

/// <summary>
/// A stream's stdin (output stream 0) as a read-only <see cref="Stream"/>, for handlers and backends
/// that read stdin: credit goes back to the requester as bytes are read, so a slow reader slows the
/// sender. Ends (returns 0) at END_STREAM, or when the stream ends (a read past the end returns a
/// Status event, <see cref="MuxStream.ReadAsync"/>).
/// </summary>
public sealed class MuxInputStream : Stream
{
    private readonly MuxStream _stream;
    private readonly CancellationToken _token;
    private StreamEvent _current;
    private int _offset;
    private bool _hasCurrent;
    private bool _ended;

    /// <param name="stream">The responder side of a request.</param>
    /// <param name="token">Cancels reads (in addition to each call's own token).</param>
    public MuxInputStream(MuxStream stream, CancellationToken token)
    {
        _stream = stream;
        _token = token;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!_hasCurrent)
        {
            if (_ended)
            {
                return 0;
            }

            // Linked only when the caller brings a token of its own (CopyToAsync usually does not).
            using var linked = cancellationToken.CanBeCanceled && cancellationToken != _token
                ? CancellationTokenSource.CreateLinkedTokenSource(_token, cancellationToken)
                : null;
            var item = await _stream.ReadAsync(linked?.Token ?? _token).ConfigureAwait(false);
            if (item.Kind is StreamEventKind.EndOfInput or StreamEventKind.Status)
            {
                _ended = true;
                return 0;
            }

            if (item.Kind == StreamEventKind.Data)
            {
                _current = item;
                _offset = 0;
                _hasCurrent = true;
            }
        }

        int n = Math.Min(buffer.Length, _current.Length - _offset);
        _current.Data.Span.Slice(_offset, n).CopyTo(buffer.Span);
        _offset += n;
        if (_offset == _current.Length)
        {
            _stream.Release(_current);
            _hasCurrent = false;
        }

        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>A chunk taken but not fully read goes back (buffer and credit) when the reader stops early.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _hasCurrent)
        {
            _hasCurrent = false;
            _stream.Release(_current);
        }

        base.Dispose(disposing);
    }
}
