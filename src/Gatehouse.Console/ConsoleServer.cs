using System.Net;
using Gatehouse.WebConsole.Gateways;
using Gatehouse.WebConsole.Runs;
using Gatehouse.WebConsole.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gatehouse.WebConsole;

/// <summary>
/// The web console: a Kestrel server (plain HTTP, loopback by default) whose pages ask gateways
/// through the client library only, with the identity and known_hosts it is given. Start it with
/// <see cref="StartAsync"/>, give the user <see cref="LoginUrl"/> (its token works once), dispose
/// to stop (runs in progress are cancelled).
/// </summary>
public sealed partial class ConsoleServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ClientPool _pool;
    private readonly RunRegistry _runs;
    private bool _disposed;

    private ConsoleServer(WebApplication app, ClientPool pool, RunRegistry runs, SessionGate gate, Uri baseUri)
    {
        _app = app;
        _pool = pool;
        _runs = runs;
        Gate = gate;
        BaseUri = baseUri;
    }

    /// <summary>Where the console is, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>The URL to open once: it carries the one-time token.</summary>
    public Uri LoginUrl => new(BaseUri, "login?token=" + Gate.Token);

    internal SessionGate Gate { get; }

    /// <summary>Starts the console.</summary>
    /// <param name="options">What to serve and with which identity.</param>
    /// <param name="logging">Where its log goes (default: nothing).</param>
    /// <exception cref="FormatException"><see cref="ConsoleOptions.Listen"/> is not HOST:PORT with an IP address or localhost.</exception>
    /// <exception cref="IOException">The address cannot be listened on (in use, not local).</exception>
    public static async Task<ConsoleServer> StartAsync(ConsoleOptions options, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (address, port) = ParseListen(options.Listen);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ConsoleServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxStdinBytes * 2L + 1024 * 1024; // stdin as JSON text, escaped, and the rest
            k.Listen(address, port);
        });
        builder.Services.ConfigureHttpJsonOptions(j => j.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);

        var pool = new ClientPool(options.Identity, options.ConnectTimeout);
        var pins = new GatewayPins(options.KnownHostsPath);
        var reader = new ClusterReader(options, pins, pool);
        var runs = new RunRegistry(options, reader, pins, pool);
        var gate = new SessionGate();
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gatehouse.Console");
        MapPipeline(app, gate, logger);
        MapEndpoints(app, reader, runs, logger);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            await app.DisposeAsync();
            await pool.DisposeAsync();
            throw new IOException($"cannot listen on {options.Listen}: {ex.Message}", ex);
        }

        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        int boundPort = new Uri(bound).Port;
        string host = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? Dns.GetHostName()
            : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        var baseUri = new Uri($"http://{host}:{boundPort}/");
        Log.Listening(logger, baseUri.ToString(), options.Identity.Fingerprint.ToString());
        if (!IPAddress.IsLoopback(address))
        {
            Log.NotLoopback(logger, options.Listen);
        }

        return new ConsoleServer(app, pool, runs, gate, baseUri);
    }

    /// <summary>Completes when the server stops (Ctrl-C in the CLI).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Reads <c>HOST:PORT</c>, a bare port (loopback), <c>localhost:PORT</c> or <c>[V6]:PORT</c>.</summary>
    /// <exception cref="FormatException">None of those.</exception>
    public static (IPAddress Address, int Port) ParseListen(string listen)
    {
        if (int.TryParse(listen, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int bare) && bare is >= 0 and <= 65535)
        {
            return (IPAddress.Loopback, bare);
        }

        int colon = listen.LastIndexOf(':');
        if (colon > 0 && int.TryParse(listen.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) && port is >= 0 and <= 65535)
        {
            string host = listen[..colon].Trim('[', ']');
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                return (IPAddress.Loopback, port);
            }

            if (host == "*")
            {
                return (IPAddress.Any, port);
            }

            if (IPAddress.TryParse(host, out var ip))
            {
                return (ip, port);
            }
        }

        throw new FormatException($"--listen '{listen}' is not HOST:PORT (an IP address, localhost or *; port 0 for any free one) or a port");
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _runs.CancelAll();
        await _runs.WhenAllFinished().WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _pool.DisposeAsync();
    }
}
