using Gatehouse.Transport.Connections;
using Gatehouse.WebConsole.Gateways;

namespace Gatehouse.WebConsole.Runs;

/// <summary>One node of a run: its name (as the node set gave it), where it is, and its pin.</summary>
internal sealed record RunTarget(string Node, Endpoint Endpoint, Pin Pin);
