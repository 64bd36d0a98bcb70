using System.Buffers.Binary;
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Bench.Grpc;
using Gatehouse.Bench.Load;
using Gatehouse.Bench.Processes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Gatehouse.Bench.Systems;

/// <summary>
/// grpc-dotnet, no gateway: runner (GrpcChannel, one HTTP/2 connection) -> Kestrel gRPC server
/// process. TLS with mutual certificates pinned by thumbprint. Streaming uses a server-streaming call
/// of 64 KiB messages. No forwarded rows: a gRPC server has no cluster to forward through.
/// </summary>
public sealed class GrpcSystem : DriverSystem
{
    private ChildProcess? _server;
    private GrpcChannel? _channel;
    private CallInvoker? _invoker;
    private X509Certificate2? _certificate;

    public override string Id => "grpc";

    public override string Title => "gRPC";

    public override IReadOnlyList<MeasuredProcess> Processes => [new("cl", Environment.ProcessId), new("srv", _server?.Pid)];

    protected override bool CanStream => true;

    public override async Task StartAsync(BenchEnvironment environment, CancellationToken cancellationToken)
    {
        var (cert, key) = await environment.TlsFilesAsync();
        _server = ChildProcess.StartRole("grpc-server", "--cert", cert, "--key", key);
        int port = int.Parse(await _server.WaitReadyAsync(TimeSpan.FromSeconds(60)), CultureInfo.InvariantCulture);
        _certificate = X509Certificate2.CreateFromPemFile(cert, key);
        string pinned = _certificate.Thumbprint;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [_certificate],
                RemoteCertificateValidationCallback = (_, c, _, _) => c is not null && c.GetCertHashString() == pinned,
            },
            EnableMultipleHttp2Connections = false,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        _channel = GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = EchoMethods.MaxMessage,
            MaxSendMessageSize = EchoMethods.MaxMessage,
        });
        await _channel.ConnectAsync(cancellationToken);
        _invoker = _channel.CreateCallInvoker();
        await EmptyAsync();
    }

    protected override async Task<int> EchoAsync(byte[] payload, MemberPath path) =>
        (await _invoker!.AsyncUnaryCall(EchoMethods.Echo, null, default, payload)).Length;

    protected override async Task EmptyAsync() => await _invoker!.AsyncUnaryCall(EchoMethods.True, null, default, []);

    protected override async Task<long> StreamAsync(long bytes, MemberPath path)
    {
        var request = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(request, bytes);
        using var call = _invoker!.AsyncServerStreamingCall(EchoMethods.Stream, null, default, request);
        long received = 0;
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            received += message.Length;
        }

        return received;
    }

    public override ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        _certificate?.Dispose();
        _server?.Stop();
        return ValueTask.CompletedTask;
    }
}
