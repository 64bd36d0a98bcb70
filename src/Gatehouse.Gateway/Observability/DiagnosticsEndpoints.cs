using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// The diagnostics listener's endpoints (<see cref="GatewayOptions.DiagnosticsListen"/>):
/// <c>/metrics</c>, this gateway's instruments and the process's in Prometheus text format
/// (rendered by prometheus-net from this gateway's meter, <see cref="PrometheusBridge"/>); <c>/healthz</c>, 200 while the
/// process serves; <c>/readyz</c>, 200 once every listener is bound and the configuration loaded,
/// 503 before that and while draining.
/// </summary>
internal static class DiagnosticsEndpoints
{
    static DiagnosticsEndpoints()
    {
        // prometheus-net's global registry would otherwise publish every meter of the process
        // (this gateway's included, a second listener on the request path); each gateway publishes
        // its own registry instead.
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
        {
            SuppressMeters = true,
            SuppressEventCounters = true,
            SuppressDebugMetrics = true,
            SuppressProcessMetrics = true,
        });
    }

    /// <summary>Maps the endpoints on <paramref name="endpoints"/>; the returned object stops publishing the meter when disposed.</summary>
    public static IDisposable Map(IEndpointRouteBuilder endpoints, GatewayRuntime runtime)
    {
        var registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(registry);
        var adapter = new PrometheusBridge(runtime.Metrics.Meter, registry);
        endpoints.MapMetrics("/metrics", registry);
        endpoints.MapGet("/healthz", () => Results.Text("ok\n"));
        // Ready still serves with the last good grants while authorized_peers is broken, and says so.
        // So does a gateway whose cluster registry (etcd) is out of reach: it serves from its last view.
        endpoints.MapGet("/readyz", () => runtime.IsReady
            ? Results.Text("ready" + (runtime.Authorized.LastError is { } error ? $"; authorized_peers not loaded: {error}" : "") + (runtime.ClusterProblem?.Invoke() is { } cluster ? "; " + cluster : "") + "\n")
            : Results.Text(runtime.IsDraining ? "draining\n" : "starting\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        return adapter;
    }
}
