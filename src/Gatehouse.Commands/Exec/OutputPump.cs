using System.Buffers;
using System.Net.Sockets;

namespace Gatehouse.Commands.Exec;

/// <summary>
/// Copies one of a child's output sockets to an <see cref="ICommandOutput"/>, one chunk at a time:
/// the next read starts only after the consumer accepted the previous chunk, so at most one buffer
/// per stream is held and a slow consumer makes the child block on its socket.
/// </summary>
internal sealed class OutputPump(Socket socket, int stream, ICommandOutput output, SemaphoreSlim writeLock, int bufferSize, OutputMeter? meter, CancellationToken writeToken) : IDisposable
{
    private readonly CancellationTokenSource receiveCancel = new();
    private volatile bool draining;

    /// <summary>
    /// Called once the child has exited: from now on, read only what is already buffered and stop at
    /// EOF or when nothing more is available (remctld's drain after SIGCHLD), so a background
    /// grandchild holding the socket open cannot keep the command running.
    /// </summary>
    public void BeginDrain()
    {
        draining = true;
        receiveCancel.Cancel();
    }

    /// <summary>Runs until EOF, the end of the drain, or a consumer failure (which propagates).</summary>
    public async Task RunAsync()
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        try
        {
            while (true)
            {
                int count;
                if (!draining)
                {
                    try
                    {
                        count = await socket.ReceiveAsync(buffer.AsMemory(0, bufferSize), SocketFlags.None, receiveCancel.Token);
                    }
                    catch (OperationCanceledException) when (draining)
                    {
                        continue; // Switched to drain mode; nothing was consumed by the cancelled receive.
                    }
                }
                else
                {
                    if (socket.Available == 0 && !socket.Poll(0, SelectMode.SelectRead))
                    {
                        break; // Nothing buffered and no EOF: someone else still holds the socket.
                    }

                    count = socket.Receive(buffer, 0, bufferSize, SocketFlags.None);
                }

                if (count == 0)
                {
                    break;
                }

                meter?.Hold(count);
                try
                {
                    await writeLock.WaitAsync(writeToken);
                    try
                    {
                        await output.WriteAsync(stream, buffer.AsMemory(0, count), writeToken);
                    }
                    finally
                    {
                        writeLock.Release();
                    }
                }
                finally
                {
                    meter?.Release(count);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public void Dispose() => receiveCancel.Dispose();
}
