using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Client.Fanout;

/// <summary>
/// One node of a fan-out call: a display name (what output is gathered under), the gateway endpoint, and
/// optionally the pinned certificate fingerprint (seed 000: the configuration often holds only
/// the fingerprint). A null <paramref name="Pin"/> falls back to <see cref="FanoutClientOptions.Pins"/>.
/// </summary>
public sealed record FanoutNode(string Name, Endpoint Endpoint, Fingerprint? Pin = null)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}
