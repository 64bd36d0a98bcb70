using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Protocol;
using Gatehouse.Transport.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Tests;

public class ReceiveBlockPoolTests
{
    [Fact]
    public void Every_rent_is_a_whole_block_and_a_returned_block_is_handed_out_again()
    {
        using var pool = new ReceiveBlockPool(8192, retainedBlocks: 4);
        var first = pool.Rent(100);
        Assert.Equal(8192, first.Memory.Length);
        Assert.Equal(8192, pool.Rent().Memory.Length);
        Assert.True(MemoryMarshal.TryGetArray<byte>(first.Memory, out var firstArray));
        first.Dispose();

        var again = pool.Rent(4096);
        Assert.True(MemoryMarshal.TryGetArray<byte>(again.Memory, out var againArray));
        Assert.Same(firstArray.Array, againArray.Array);
        Assert.Equal(3, pool.Rented);
    }

    [Fact]
    public void Returning_a_block_twice_is_refused()
    {
        using var pool = new ReceiveBlockPool(4096, retainedBlocks: 4);
        var block = pool.Rent();
        block.Dispose();
        Assert.Throws<InvalidOperationException>(block.Dispose);
    }

    [Fact]
    public void At_most_the_retained_count_of_free_blocks_is_kept()
    {
        using var pool = new ReceiveBlockPool(4096, retainedBlocks: 4);
        var blocks = Enumerable.Range(0, 7).Select(_ => pool.Rent()).ToList();
        Assert.Equal(0, pool.FreeCount);
        blocks.ForEach(b => b.Dispose());
        Assert.Equal(4, pool.FreeCount);
        _ = pool.Rent();
        Assert.Equal(3, pool.FreeCount);
    }

    [Fact]
    public void Requests_beyond_the_block_size_and_rents_after_dispose_are_refused()
    {
        var pool = new ReceiveBlockPool(4096, retainedBlocks: 4);
        Assert.Equal(4096, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(4097));
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReceiveBlockPool(1024, 1));
    }

    [Fact]
    public unsafe void Pinning_a_slice_gives_the_address_of_its_first_byte_without_moving_it()
    {
        using var pool = new ReceiveBlockPool(4096, retainedBlocks: 1);
        using var block = pool.Rent();
        Assert.True(MemoryMarshal.TryGetArray<byte>(block.Memory, out var array));
        using var handle = block.Memory[100..].Pin();
        void* expected = Unsafe.AsPointer(ref array.Array![100]);
        Assert.True(handle.Pointer == expected);
        // Writes through the pointer land in the block.
        *(byte*)handle.Pointer = 0x5A;
        Assert.Equal(0x5A, block.Memory.Span[100]);
    }

    [Fact]
    public async Task Kestrel_receives_and_decrypts_into_the_gateway_pool()
    {
        await using var server = await StartAsync(blockSize: 64 * 1024);
        var factory = Assert.IsType<ReceiveBlockPoolFactory>(server.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
        Assert.NotEmpty(factory.Pools);
        Assert.All(factory.Pools, p => Assert.Equal(64 * 1024, p.BlockSize));
        long before = factory.Pools.Sum(p => p.Rented);

        // A stranger: TLS handshake, then the gateway's GOAWAY, then end of stream.
        var frames = await ConnectAndReadAllAsync(server);
        Assert.Equal((byte)FrameType.GoAway, frames[3]);
        Assert.True(factory.Pools.Sum(p => p.Rented) > before, "no block of the gateway's pool was used for the connection");
    }

    [Fact]
    public async Task Block_size_zero_leaves_Kestrel_its_own_pool()
    {
        await using var server = await StartAsync(blockSize: 0);
        Assert.IsNotType<ReceiveBlockPoolFactory>(server.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
        var frames = await ConnectAndReadAllAsync(server);
        Assert.Equal((byte)FrameType.GoAway, frames[3]);
    }

    private static Task<GatewayServer> StartAsync(int blockSize) => GatewayServer.StartAsync(
        new GatewayOptions
        {
            Listen = ["127.0.0.1:0"],
            StateDirectory = Path.Combine(Path.GetTempPath(), "gatehouse-pool-" + Guid.NewGuid().ToString("N")[..12]),
            ReceiveBlockSize = blockSize,
        },
        logging => logging.ClearProviders());

    private static async Task<byte[]> ConnectAndReadAllAsync(GatewayServer server)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port);
        await using var tls = new SslStream(tcp.GetStream());
        var seen = new StrongBox<Fingerprint>();
        await tls.AuthenticateAsClientAsync(TlsSettings.ClientOptions(PeerIdentity.CreateEphemeral("stranger"), "gateway", f => f == server.Fingerprint, seen));
        using var received = new MemoryStream();
        await tls.CopyToAsync(received).WaitAsync(TimeSpan.FromSeconds(20));
        return received.ToArray();
    }
}
