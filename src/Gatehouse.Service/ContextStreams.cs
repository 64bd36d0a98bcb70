using Gatehouse.Transport.Mux;

namespace Gatehouse.Service;

/// <summary>Stdin as a read-only <see cref="Stream"/>; credit goes back to the caller as bytes are read.</summary>
internal sealed class StdinStream : Stream
{
    private readonly MuxStream _stream;
    private readonly CancellationToken _token;
    private StreamEvent _current;
    private int _offset;
    private bool _hasCurrent;
    private bool _ended;

    public StdinStream(MuxStream stream, CancellationToken token)
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

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_token, cancellationToken);
            StreamEvent item;
            try
            {
                item = await _stream.ReadAsync(linked.Token).ConfigureAwait(false);
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                _ended = true;
                return 0;
            }

            if (item.Kind == StreamEventKind.EndOfInput)
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
}

/// <summary>An output stream number as a write-only <see cref="Stream"/>; writes wait for flow-control credit.</summary>
internal sealed class OutputStream : Stream
{
    private readonly MuxStream _stream;
    private readonly byte _number;
    private readonly CancellationToken _token;

    public OutputStream(MuxStream stream, byte number, CancellationToken token)
    {
        _stream = stream;
        _number = number;
        _token = token;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        if (cancellationToken.CanBeCanceled)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_token, cancellationToken);
            await _stream.WriteAsync(_number, buffer, cancellationToken: linked.Token).ConfigureAwait(false);
        }
        else
        {
            await _stream.WriteAsync(_number, buffer, cancellationToken: _token).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
