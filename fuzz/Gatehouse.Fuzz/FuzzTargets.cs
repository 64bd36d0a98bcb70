using Gatehouse.Fuzz.Targets;

namespace Gatehouse.Fuzz;

/// <summary>Every fuzz target, by name.</summary>
internal static class FuzzTargets
{
    /// <summary>The targets in the order fuzz/run.sh runs them.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new FrameReaderTarget(),
        new RequestHeaderTarget(),
        new ControlPayloadsTarget(),
        new RemctlTokenTarget(),
        new RemctlMessageTarget(),
        new RemctlV1Target(),
        new RemctlConfTarget(),
        new RemctlAclTarget(),
        new AuthorizedPeersTarget(),
        new KnownHostsTarget(),
        new ZeroMqReplyTarget(),
        new NodeSetTarget(),
    ];

    /// <summary>The self-test target with a planted crash (not in <see cref="All"/>).</summary>
    public static FuzzTarget Canary { get; } = new CanaryTarget();

    /// <summary>The target called <paramref name="name"/> (the canary included), or null.</summary>
    public static FuzzTarget? Find(string name) => name == Canary.Name ? Canary : All.FirstOrDefault(t => t.Name == name);
}
