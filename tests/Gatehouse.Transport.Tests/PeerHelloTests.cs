using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Tests;

public sealed class PeerHelloTests
{
    [Fact]
    public async Task A_connection_closed_before_the_peers_hello_after_the_wait_was_cancelled_leaves_no_unobserved_exception()
    {
        // Seen in CI: "Connection lost: Broken pipe" reported by the finalizer as an unobserved task
        // exception, from a connection a client dropped during its handshake.
        int unobserved = 0;
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.InnerExceptions.Any(x => x is ConnectionClosedException && x.Message.Contains("peer hello test", StringComparison.Ordinal)))
            {
                Interlocked.Increment(ref unobserved);
            }
        }

        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            for (int i = 0; i < 20; i++)
            {
                await DropBeforeHelloAsync();
            }

            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            Assert.Equal(0, Volatile.Read(ref unobserved));
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }

    private static async Task DropBeforeHelloAsync()
    {
        var (pipe, peer) = RawPeer.CreatePair(); // the peer never sends HELLO
        var connection = new MuxConnection(pipe, isDialer: false);
        using var cancel = new CancellationTokenSource();
        var start = connection.StartAsync(cancel.Token);
        cancel.Cancel(); // the acceptor stops waiting (its client went away)
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => start);
        await connection.AbortAsync(CallStatus.Error(ErrorCode.BackendFailed, "Connection lost: peer hello test"));
        await connection.DisposeAsync();
        await peer.DisposeAsync();
    }
}
