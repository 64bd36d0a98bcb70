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
        new RemctlConfTarget(),
        new RemctlAclTarget(),
        new AuthorizedPeersTarget(),
        new KnownHostsTarget(),
        new ZeroMqReplyTarget(),
        new NodeSetTarget(),
    ];

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
