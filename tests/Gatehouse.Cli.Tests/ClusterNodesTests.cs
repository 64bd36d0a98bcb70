using System.Text;
using Gatehouse.Cli.Fanout;
using Gatehouse.NodeSets;

namespace Gatehouse.Cli.Tests;

/// <summary>How <c>@cluster</c> becomes nodes from a gateway's <c>members --json</c>, for call and for remctl.</summary>
public class ClusterNodesTests
{
    private const string Fp = "SHA256:RfRja07MDKlz58djb+dZrYJUhvPNDKHsRmEWbCW1KeI";

    private static readonly string Json = $$"""
        [{"fingerprint":"{{Fp}}","state":"alive","address":"10.0.0.1:7340","remctlPort":4373},
         {"fingerprint":"{{Fp}}","state":"suspect","address":"10.0.0.2:7340"},
         {"fingerprint":"{{Fp}}","state":"dead","address":"10.0.0.3:7340","remctlPort":4373},
         {"fingerprint":"{{Fp}}","state":"alive","address":"10.0.0.4:7340","remctlPort":null}]
        """;

    private static List<ClusterNodes.Member> Members() => ClusterNodes.Parse(Encoding.UTF8.GetBytes(Json), "gw");

    [Fact]
    public void For_call_live_members_are_their_addresses_and_dead_ones_are_gone()
    {
        var cluster = ClusterNodes.From(NodeGroups.Empty, Members(), remctl: false);
        Assert.Equal("10.0.0.[1-2,4]:7340", cluster.Live.Fold());
        Assert.Equal([("10.0.0.3:7340", "dead")], cluster.Gone);
        Assert.Empty(cluster.Skipped);
        Assert.True(cluster.Pins.ContainsKey("10.0.0.1:7340"));
    }

    [Fact]
    public void For_remctl_live_members_are_host_and_remctl_port_and_those_without_are_skipped()
    {
        var cluster = ClusterNodes.From(NodeGroups.Empty, Members(), remctl: true);
        Assert.Equal("10.0.0.1:4373", cluster.Live.Fold());
        Assert.Equal(["10.0.0.2:7340", "10.0.0.4:7340"], cluster.Skipped);
        Assert.Equal([("10.0.0.3:4373", "dead")], cluster.Gone);
    }

    [Fact]
    public void Every_known_member_stands_for_cluster_when_asking_which_were_wanted()
    {
        var cluster = ClusterNodes.From(NodeGroups.Empty, Members(), remctl: false);
        var options = new NodeSetParseOptions { Groups = cluster.WithEveryKnownMember() };
        Assert.Equal("10.0.0.[1-4]:7340", NodeSet.Parse("@cluster", options).Fold());
        Assert.Equal("10.0.0.[1-2,4]:7340", NodeSet.Parse("@cluster!10.0.0.3:7340", options).Fold());
        Assert.Equal("10.0.0.[1-2,4]:7340", NodeSet.Parse("@cluster", new NodeSetParseOptions { Groups = cluster }).Fold());
    }

    [Fact]
    public void A_member_list_that_is_not_one_is_refused_in_one_line()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ClusterNodes.Parse(Encoding.UTF8.GetBytes("{\"x\":1}"), "gw"));
        Assert.Equal("@cluster: gw answered 'members' with something that is not a member list", ex.Message);
    }
}
