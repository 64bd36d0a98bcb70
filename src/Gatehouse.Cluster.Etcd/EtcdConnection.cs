using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Cluster.Etcd;

/// <summary>
/// The gRPC channels to the etcd members (dotnet-etcd's generated clients over one channel per
/// endpoint), TLS 1.2+ with the configured CA and client certificate, etcd's auth token, and
/// failover: a call that fails as unavailable (or times out) is tried on the next endpoint, each
/// endpoint once; when all failed, <see cref="EtcdUnavailableException"/> carries the last reason.
/// </summary>
internal sealed class EtcdConnection : IDisposable
{
    private readonly EtcdRegistryOptions _options;
    private readonly ILogger _logger;
    private readonly Endpoint[] _endpoints;
    private int _current;
    private string? _token;

    public EtcdConnection(EtcdRegistryOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        X509Certificate2Collection? client = null;
        if (options.CertFile is not null)
        {
            client = [X509Certificate2.CreateFromPemFile(options.CertFile, options.KeyFile)];
        }

        X509Certificate2Collection? roots = null;
        if (options.CaFile is not null)
        {
            roots = [];
            roots.ImportFromPemFile(options.CaFile);
        }

        _endpoints = [.. options.Endpoints.Select(e => new Endpoint(options.EndpointUri(e), Channel(options.EndpointUri(e), options, client, roots)))];
    }

    /// <summary>The endpoint calls go to now.</summary>
    public string CurrentEndpoint => _endpoints[Volatile.Read(ref _current)].Uri.ToString();

    private static GrpcChannel Channel(Uri uri, EtcdRegistryOptions options, X509Certificate2Collection? client, X509Certificate2Collection? roots)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.OperationTimeout,
            EnableMultipleHttp2Connections = true,
            // A dead member or a cut connection is found by pings, not only by the next call.
            KeepAlivePingDelay = TimeSpan.FromSeconds(2),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(2),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        };
        if (uri.Scheme == "https")
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificates = client,
                RemoteCertificateValidationCallback = roots is null ? null : (_, cert, _, errors) => Trusted(cert, errors, roots),
            };
        }

        return GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 256 * 1024 * 1024, // the whole view in one range: many members' route lists
            DisposeHttpClient = true,
        });
    }

    /// <summary>The etcd member's certificate chains to the configured CA and names the host it was dialled as.</summary>
    private static bool Trusted(X509Certificate? cert, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (cert is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(cert);
        return chain.Build(leaf);
    }

    /// <summary>
    /// Runs <paramref name="call"/> on the current endpoint, then on the others in turn when it is
    /// unavailable, each try bounded by the operation timeout.
    /// </summary>
    /// <exception cref="EtcdUnavailableException">No endpoint answered.</exception>
    /// <exception cref="RpcException">etcd answered with an error that another endpoint would repeat.</exception>
    public async Task<T> CallAsync<T>(Func<Clients, Metadata, DateTime, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        string reason = "no endpoint";
        for (int i = 0; i < _endpoints.Length; i++)
        {
            int index = Volatile.Read(ref _current);
            var endpoint = _endpoints[index];
            try
            {
                var headers = await HeadersAsync(endpoint, cancellationToken).ConfigureAwait(false);
                return await call(endpoint.Clients, headers, DateTime.UtcNow + _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (IsAuthExpired(ex))
            {
                _token = null; // etcd's simple tokens expire: authenticate again and retry here
                i--;
                if (reason == "auth") { throw; }
                reason = "auth";
            }
            catch (RpcException ex) when (Unavailable(ex, cancellationToken))
            {
                reason = $"{endpoint.Uri.Authority}: {Describe(ex)}";
                EtcdLog.EndpointFailed(_logger, endpoint.Uri.Authority, Describe(ex));
                MoveOn(index);
            }
        }

        throw new EtcdUnavailableException(reason);
    }

    /// <summary>Starts a streaming call (watch, lease keep-alive) on the current endpoint; the caller moves on with <see cref="Failed"/>.</summary>
    public async Task<(Clients Clients, Metadata Headers, string Endpoint)> StreamAsync(CancellationToken cancellationToken)
    {
        var endpoint = _endpoints[Volatile.Read(ref _current)];
        try
        {
            return (endpoint.Clients, await HeadersAsync(endpoint, cancellationToken).ConfigureAwait(false), endpoint.Uri.Authority);
        }
        catch (RpcException ex) when (Unavailable(ex, cancellationToken))
        {
            Failed(endpoint.Uri.Authority);
            throw new EtcdUnavailableException($"{endpoint.Uri.Authority}: {Describe(ex)}");
        }
    }

    /// <summary>A stream on <paramref name="authority"/> failed: the next call goes to the next endpoint.</summary>
    public void Failed(string authority)
    {
        int index = Volatile.Read(ref _current);
        if (_endpoints[index].Uri.Authority == authority)
        {
            MoveOn(index);
        }
    }

    /// <summary>Calls go to the endpoint after <paramref name="failed"/>, unless another call moved on already.</summary>
    /// <remarks>The index always stays below the endpoint count: a raw counter compared modulo would stop moving once it passed the count (a bug caught by the killed-member test).</remarks>
    private void MoveOn(int failed) => Interlocked.CompareExchange(ref _current, (failed + 1) % _endpoints.Length, failed);

    /// <summary>The token was refused (it expired): the next call authenticates again.</summary>
    public void ForgetToken() => _token = null;

    private async Task<Metadata> HeadersAsync(Endpoint endpoint, CancellationToken cancellationToken)
    {
        // "hasleader": etcd cancels a watch on a member that lost its leader, instead of letting it go silent.
        var headers = new Metadata { { "hasleader", "true" } };
        if (_options.User is null)
        {
            return headers;
        }

        string? token = _token;
        if (token is null)
        {
            var answer = await endpoint.Clients.Auth.AuthenticateAsync(
                new AuthenticateRequest { Name = _options.User, Password = _options.Password },
                deadline: DateTime.UtcNow + _options.OperationTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            token = _token = answer.Token;
        }

        headers.Add("token", token);
        return headers;
    }

    public static bool IsAuthExpired(RpcException ex) =>
        ex.StatusCode == StatusCode.Unauthenticated || ex.Status.Detail.Contains("invalid auth token", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for the failures another endpoint (or a later try) may not repeat: the member is down, cut off, without a leader, or too slow.</summary>
    public static bool Unavailable(RpcException ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled;

    /// <summary>One line about a failure, without gRPC's debug text.</summary>
    public static string Describe(RpcException ex) => ex.Status.Detail.Length == 0
        ? ex.StatusCode == StatusCode.DeadlineExceeded ? "no answer in time" : ex.StatusCode.ToString()
        : $"{ex.StatusCode}: {(ex.Status.Detail.Length > 200 ? ex.Status.Detail[..200] : ex.Status.Detail)}";

    public void Dispose()
    {
        foreach (var e in _endpoints)
        {
            e.Clients.Channel.Dispose();
        }
    }

    private sealed record Endpoint(Uri Uri, GrpcChannel Channel)
    {
        public Clients Clients { get; } = new(Channel);
    }

    /// <summary>dotnet-etcd's generated clients over one channel.</summary>
    internal sealed class Clients(GrpcChannel channel)
    {
        public GrpcChannel Channel { get; } = channel;

        public KV.KVClient Kv { get; } = new(channel);

        public Lease.LeaseClient Lease { get; } = new(channel);

        public Watch.WatchClient Watch { get; } = new(channel);

        public Auth.AuthClient Auth { get; } = new(channel);

        public Maintenance.MaintenanceClient Maintenance { get; } = new(channel);
    }
}

/// <summary>No etcd endpoint answered.</summary>
internal sealed class EtcdUnavailableException(string reason) : Exception(reason);
