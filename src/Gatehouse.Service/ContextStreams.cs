using Gatehouse.Transport.Mux;

namespace Gatehouse.Service;

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

        if (cancellationToken.CanBeCanceled && cancellationToken != _token)
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
