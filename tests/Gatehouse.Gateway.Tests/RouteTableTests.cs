using Gatehouse.Gateway.Routing;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Tests;
using Microsoft.Extensions.Time.Testing;

namespace Gatehouse.Gateway.Tests;

/// <summary>The route table on its own: which endpoint a request gets, queueing, and giving leases back.</summary>
public sealed class RouteTableTests : IAsyncLifetime
{
    private readonly List<MuxConnection> _connections = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var c in _connections)
        {
            await c.DisposeAsync();
        }
    }

    private async Task<ServiceEndpoint> EndpointAsync(string name)
    {
        var (a, b) = await InMemoryPair.StartAsync();
        _connections.Add(a);
        _connections.Add(b);
        return new ServiceEndpoint(b, name);
    }

    [Fact]
    public async Task The_table_keeps_its_locator_domains_and_star_does_not_take_at_commands()
    {
        var table = new RouteTable(8);
        var service = await EndpointAsync("svc");
        table.Register(service, "mail", "*", 4);
        Assert.True(table.HasRoute("mail", "quota"));
        Assert.False(table.HasRoute("mail", "@locate"));
        Assert.Null(table.TryAcquire("mail", "@locate"));
        Assert.Empty(table.LocatorDomains);
        table.Register(service, "mail", "@locate", 4);
        Assert.Equal(["mail"], table.LocatorDomains);
        Assert.True(table.Unregister(service, "mail", "@locate"));
        Assert.Empty(table.LocatorDomains);
        table.Register(service, "mail", "@locate", 4);
        table.RemoveService(service);
        Assert.Empty(table.LocatorDomains);
    }

    [Fact]
    public async Task The_endpoint_with_the_fewest_outstanding_requests_is_picked()
    {
        var table = new RouteTable(16);
        var a = await EndpointAsync("a");
        var b = await EndpointAsync("b");
        table.Register(a, "d", "c", 4);
        table.Register(b, "d", "c", 4);
        var first = table.TryAcquire("d", "c")!;
        var second = table.TryAcquire("d", "c")!;
        Assert.NotSame(first.Service, second.Service);
        var third = table.TryAcquire("d", "c")!;
        table.Release(first);
        table.Release(second);
        // third's endpoint has one outstanding, the other none: the other is picked, every time.
        for (int i = 0; i < 3; i++)
        {
            var next = table.TryAcquire("d", "c")!;
            Assert.NotSame(third.Service, next.Service);
            table.Release(next);
        }
    }

    [Fact]
    public async Task Ties_are_broken_round_robin()
    {
        var table = new RouteTable(16);
        var endpoints = new[] { await EndpointAsync("a"), await EndpointAsync("b"), await EndpointAsync("c") };
        foreach (var e in endpoints)
        {
            table.Register(e, "d", "c", 8);
        }

        var served = new Dictionary<string, int>();
        for (int i = 0; i < 300; i++)
        {
            var lease = table.TryAcquire("d", "c")!;
            served[lease.Service.Name] = served.GetValueOrDefault(lease.Service.Name) + 1;
            table.Release(lease);
        }

        Assert.Equal([100, 100, 100], served.Values);
        Assert.All(table.Snapshot().Single().Services, s => Assert.Equal(100, s.Served));
    }

    [Fact]
    public async Task An_endpoint_takes_no_more_than_its_declared_concurrency()
    {
        var table = new RouteTable(16);
        table.Register(await EndpointAsync("a"), "d", "c", 2);
        var one = table.TryAcquire("d", "c");
        var two = table.TryAcquire("d", "c");
        Assert.NotNull(one);
        Assert.NotNull(two);
        Assert.Null(table.TryAcquire("d", "c"));
        table.Release(one);
        Assert.NotNull(table.TryAcquire("d", "c"));
    }

    [Fact]
    public async Task A_wildcard_registration_takes_every_command_of_its_domain_without_an_exact_one()
    {
        var table = new RouteTable(16);
        var any = await EndpointAsync("any");
        var exact = await EndpointAsync("exact");
        table.Register(any, "d", "*", 8);
        table.Register(exact, "d", "status", 8);
        Assert.True(table.HasRoute("d", "whatever"));
        Assert.False(table.HasRoute("other", "whatever"));
        Assert.Same(any, table.TryAcquire("d", "whatever")!.Service);
        Assert.Same(exact, table.TryAcquire("d", "status")!.Service);
        var (_, error) = await table.AcquireAsync("other", "x", TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Equal(ErrorCode.UnknownCommand, error.ErrorCode);
    }

    [Fact]
    public async Task The_queue_is_bounded_and_served_in_order()
    {
        var table = new RouteTable(queueLength: 2);
        table.Register(await EndpointAsync("a"), "d", "c", 1);
        var held = table.TryAcquire("d", "c")!;
        var w1 = table.AcquireAsync("d", "c", TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        var w2 = table.AcquireAsync("d", "c", TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        var (none, full) = await table.AcquireAsync("d", "c", TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Null(none);
        Assert.Equal(ErrorCode.Overloaded, full.ErrorCode);
        Assert.Equal(2, table.Snapshot().Single().Queued);
        Assert.Null(table.TryAcquire("d", "c")); // nobody jumps the queue

        table.Release(held);
        var first = (await w1.WaitAsync(TimeSpan.FromSeconds(10))).Binding!;
        Assert.False(w2.IsCompleted);
        table.Release(first);
        var second = (await w2.WaitAsync(TimeSpan.FromSeconds(10))).Binding!;
        table.Release(second);
        Assert.Equal(0, table.Snapshot().Single().Services.Single().Outstanding);
    }

    [Fact]
    public async Task A_queued_request_times_out_as_overloaded_on_the_tables_clock()
    {
        var clock = new FakeTimeProvider();
        var table = new RouteTable(8, clock);
        table.Register(await EndpointAsync("a"), "d", "c", 1);
        var held = table.TryAcquire("d", "c")!;
        var waiting = table.AcquireAsync("d", "c", TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        clock.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        var (binding, error) = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(binding);
        Assert.Equal(ErrorCode.Overloaded, error.ErrorCode);
        Assert.Contains("Waited 30 s", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, table.Snapshot().Single().Queued);
        table.Release(held);
        Assert.Equal(0, table.Snapshot().Single().Services.Single().Outstanding);
    }

    [Fact]
    public async Task A_queued_request_whose_route_goes_away_is_told_unavailable()
    {
        var table = new RouteTable(8);
        var a = await EndpointAsync("a");
        table.Register(a, "d", "c", 1);
        table.TryAcquire("d", "c");
        var waiting = table.AcquireAsync("d", "c", TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        table.RemoveService(a);
        var (binding, error) = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(binding);
        Assert.Equal(ErrorCode.Unavailable, error.ErrorCode);
        Assert.False(table.HasRoute("d", "c"));
    }

    [Fact]
    public async Task A_lease_released_just_as_its_waiter_gives_up_is_never_lost()
    {
        // The race: a waiter's timeout (or cancel) fires while a release hands it the binding.
        // Whichever wins, the binding must end up free; a lost lease would leave the endpoint
        // counted busy forever. Many rounds with the two racing on different threads.
        var table = new RouteTable(8);
        table.Register(await EndpointAsync("a"), "d", "c", 1);
        int handedOver = 0, gaveUp = 0;
        for (int round = 0; round < 10_000; round++)
        {
            var held = table.TryAcquire("d", "c")!;
            using var cancel = new CancellationTokenSource();
            var waiting = table.AcquireAsync("d", "c", TimeSpan.FromSeconds(30), cancel.Token).AsTask();
            using var go = new Barrier(2);
            var releaser = Task.Run(() =>
            {
                go.SignalAndWait();
                table.Release(held);
            });
            go.SignalAndWait();
            cancel.Cancel();
            await releaser;
            var (binding, _) = await waiting;
            if (binding is not null)
            {
                handedOver++;
                table.Release(binding);
            }
            else
            {
                gaveUp++;
            }

            var outstanding = table.Snapshot().Single().Services.Single().Outstanding;
            Assert.True(outstanding == 0, $"round {round}: {outstanding} outstanding after both ended (lease lost)");
        }

        Assert.Equal(10_000, handedOver + gaveUp);
    }

    [Fact]
    public async Task Changed_is_raised_once_per_change_of_the_version_and_not_for_a_no_op()
    {
        var table = new RouteTable(queueLength: 4);
        int raised = 0;
        table.Changed += () => Interlocked.Increment(ref raised);
        var a = await EndpointAsync("a");
        var b = await EndpointAsync("b");
        table.Register(a, "d", "x", 1);
        table.Register(a, "d", "y", 1);
        Assert.Equal(2, raised);
        Assert.Equal(2, table.Version);
        Assert.False(table.Unregister(b, "d", "x")); // not registered: nothing changed
        table.RemoveService(b); // nothing of b's: nothing changed
        Assert.Equal(2, raised);
        Assert.True(table.Unregister(a, "d", "x"));
        table.RemoveService(a);
        Assert.Equal(4, raised);
        Assert.Equal(4, table.Version);
        Assert.Empty(table.Snapshot(out long version));
        Assert.Equal(4, version);
    }
}
