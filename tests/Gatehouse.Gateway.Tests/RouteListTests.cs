using System.Text;
using Gatehouse.Gateway.Membership;
using Gatehouse.Gateway.Routing;

namespace Gatehouse.Gateway.Tests;

public sealed class RouteListTests
{
    private static RouteList Sample() => RouteList.From(7,
    [
        new RouteInfo("inventory", "list", 0, [new BindingInfo("a", 8, 0, 0), new BindingInfo("b", 4, 0, 0)]),
        new RouteInfo("inventory", "*", 0, [new BindingInfo("a", 2, 0, 0)]),
    ]);

    [Fact]
    public void A_list_round_trips_and_sums_its_services()
    {
        var list = Sample();
        var back = RouteList.Parse(list.ToUtf8());
        Assert.Equal(7, back.Version);
        Assert.Equal(list.Hash, back.Hash);
        Assert.Equal(list.Routes, back.Routes);
        Assert.Contains(back.Routes, r => r is { Domain: "inventory", Command: "list", Services: 2, Concurrency: 12 });
    }

    [Fact]
    public void The_hash_depends_on_the_routes_not_their_order_or_capacity()
    {
        var a = RouteList.HashOf([new RouteEntry("d", "x", 1, 1), new RouteEntry("d", "y", 1, 1)]);
        var b = RouteList.HashOf([new RouteEntry("d", "y", 5, 9), new RouteEntry("d", "x", 1, 1)]);
        var c = RouteList.HashOf([new RouteEntry("d", "x", 1, 1)]);
        var d = RouteList.HashOf([new RouteEntry("dx", "", 1, 1)]); // no ambiguity between fields
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(RouteList.HashOf([new RouteEntry("d", "x", 1, 1)]), d);
        Assert.Equal(RouteList.HashLength, a.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("""{"version":1}""")]
    [InlineData("""{"version":1,"hash":"00","routes":null}""")]
    [InlineData("""{"version":1,"hash":"e3b0c44298fc1c14","routes":[null]}""")]
    [InlineData("""{"version":1,"hash":"e3b0c44298fc1c14","routes":[{"domain":"","command":"x","services":1,"concurrency":1}]}""")]
    [InlineData("""{"version":1,"hash":"e3b0c44298fc1c14","routes":[{"domain":"d","command":"x","services":-1,"concurrency":1}]}""")]
    [InlineData("""{"version":"x","hash":"e3b0c44298fc1c14","routes":[]}""")]
    public void Malformed_lists_are_refused_with_a_format_error(string text) =>
        Assert.Throws<FormatException>(() => RouteList.Parse(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void A_list_that_does_not_match_its_hash_is_refused()
    {
        var list = Sample() with { Hash = "0000000000000000" };
        var ex = Assert.Throws<FormatException>(() => RouteList.Parse(list.ToUtf8()));
        Assert.Contains("hash", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_empty_list_parses()
    {
        var empty = RouteList.From(0, []);
        Assert.Empty(RouteList.Parse(empty.ToUtf8()).Routes);
    }

    [Fact]
    public void Remote_routes_are_stale_until_the_version_and_hash_held_match()
    {
        var routes = new RemoteRoutes(100);
        var list = Sample();
        Assert.True(routes.IsStale("m", list.Version, list.Hash));
        Assert.True(routes.Store("m", list));
        Assert.False(routes.IsStale("m", list.Version, list.Hash));
        Assert.False(routes.IsStale("m", list.Version, null)); // an older member that gossips no hash
        Assert.True(routes.IsStale("m", list.Version + 1, list.Hash));
        Assert.True(routes.IsStale("m", list.Version, "ffffffffffffffff")); // restarted at the same version
        Assert.Equal(2, routes.Total);
    }

    [Fact]
    public void Members_serving_a_command_include_star_registrations_of_its_domain()
    {
        var routes = new RemoteRoutes(100);
        routes.Store("m1", Sample());
        routes.Store("m2", RouteList.From(1, [new RouteInfo("inventory", "list", 0, [new BindingInfo("c", 1, 0, 0)])]));
        Assert.Equal(["m1", "m2"], routes.MembersServing("inventory", "list").Order());
        Assert.Equal(["m1"], routes.MembersServing("inventory", "count").ToArray());
        Assert.Empty(routes.MembersServing("billing", "list"));
        routes.Remove("m1");
        Assert.Equal(["m2"], routes.MembersServing("inventory", "list").ToArray());
        Assert.Equal(1, routes.Total);
    }

    [Fact]
    public void Remote_routes_are_bounded_in_total_and_an_oversized_list_is_held_empty_so_it_is_not_pulled_again()
    {
        var routes = new RemoteRoutes(3);
        Assert.True(routes.Store("m1", Sample())); // 2 routes
        var big = RouteList.From(4, [new RouteInfo("a", "1", 0, []), new RouteInfo("a", "2", 0, [])]);
        Assert.False(routes.Store("m2", big)); // 2 + 2 > 3
        Assert.Equal(2, routes.Total);
        Assert.Empty(routes.Of("m2")!.Routes);
        Assert.False(routes.IsStale("m2", big.Version, big.Hash));

        // Replacing a member's own list counts only the difference.
        Assert.True(routes.Store("m1", RouteList.From(8, [new RouteInfo("x", "y", 0, [])])));
        Assert.Equal(1, routes.Total);
        Assert.True(routes.Store("m2", RouteList.From(5, [new RouteInfo("a", "1", 0, []), new RouteInfo("a", "2", 0, [])])));
        Assert.Equal(3, routes.Total);
    }
}

public sealed class RemoteRoutesIndexTests
{
    [Fact]
    public void A_whole_domain_registration_serves_every_command_but_the_gateways_own_at_commands()
    {
        var routes = new RemoteRoutes(1000);
        routes.Store("m1", RouteList.From(1, [new RouteInfo("mail", "*", 0, [new BindingInfo("s", 1, 0, 0)])]));
        routes.Store("m2", RouteList.From(1, [new RouteInfo("mail", "quota", 0, [new BindingInfo("s", 1, 0, 0)]), new RouteInfo("mail", "@locate", 0, [new BindingInfo("l", 1, 0, 0)])]));
        Assert.Equal(["m1", "m2"], routes.MembersServing("mail", "quota").Order(StringComparer.Ordinal));
        Assert.Equal(["m1"], routes.MembersServing("mail", "other").ToArray());
        Assert.Equal(["m2"], routes.MembersServing("mail", "@locate").ToArray());
        Assert.True(routes.AnyServesExactly("mail", "@locate"));
        Assert.Equal(["mail"], routes.LocatorDomains);
        Assert.False(routes.AnyServesExactly("mail", "other"));

        routes.Remove("m2");
        Assert.Empty(routes.MembersServing("mail", "@locate"));
        Assert.False(routes.AnyServesExactly("mail", "@locate"));
        Assert.Empty(routes.LocatorDomains);
    }
}
