namespace Gatehouse.Service;

/// <summary>One gateway a service attaches to (or is trying to), as <see cref="GatehouseService.Gateways"/> shows it.</summary>
/// <param name="Target">Its address and the fingerprint it is pinned to.</param>
/// <param name="Discovered">False for a configured gateway (<see cref="ServiceOptions.Gateways"/>), true for a cluster member found through discovery.</param>
/// <param name="IsAttached">Connected with every command registered right now (false while dialling or backing off).</param>
public sealed record GatewayAttachment(GatewayTarget Target, bool Discovered, bool IsAttached);
