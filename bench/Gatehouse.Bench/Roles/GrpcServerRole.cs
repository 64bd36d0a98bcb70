using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Bench.Grpc;
using Gatehouse.Bench.Processes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Bench.Roles;

/// <summary>
/// <c>grpc-server --cert PEM --key PEM</c>: grpc-dotnet on Kestrel, HTTP/2 over TLS on 127.0.0.1
/// (free port), client certificate required and pinned to the same self-signed certificate.
/// Prints <c>READY port</c>.
/// </summary>
internal static class GrpcServerRole
{
    public static async Task<int> RunAsync(string[] args)
    {
        var stop = RoleHost.StopToken();
        using var certificate = X509Certificate2.CreateFromPemFile(RoleHost.Arg(args, "--cert"), RoleHost.Arg(args, "--key"));
        string pinned = certificate.Thumbprint;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1024;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificate;
                    https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                    https.ClientCertificateValidation = (cert, _, _) => cert.Thumbprint == pinned;
                });
            });
        });
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = EchoMethods.MaxMessage;
            o.MaxSendMessageSize = EchoMethods.MaxMessage;
        });
        builder.Services.AddSingleton<EchoService>();
        await using var app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync(stop);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        RoleHost.Ready(new Uri(address).Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await RoleHost.WaitAsync(stop);
        await app.StopAsync(CancellationToken.None);
        return 0;
    }
}
