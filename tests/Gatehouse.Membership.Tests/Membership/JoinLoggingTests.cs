using System.Net;
using Gatehouse.Cluster.Membership;
using Gatehouse.Cluster.Security;
using Gatehouse.Membership.Tests.Simulation;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Membership.Tests.Membership;

/// <summary>A join that keeps failing is said once per seed (the caller retries), not at every attempt.</summary>
public class JoinLoggingTests
{
    private sealed class Events : ILogger
    {
        public List<(int Id, LogLevel Level)> Seen { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Seen)
            {
                Seen.Add((eventId.Id, logLevel));
            }
        }

        public int Count(int id, LogLevel level)
        {
            lock (Seen)
            {
                return Seen.Count(e => e.Id == id && e.Level == level);
            }
        }
    }

    private sealed class Silent : IDatagramTransport
    {
        public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
        {
        }

        public void SetReceiver(DatagramHandler? handler)
        {
        }
    }

    private sealed class Exchange : IStateExchange
    {
        public bool Answer { get; set; }

        public Task<IReadOnlyList<MemberSnapshot>> ExchangeAsync(IPEndPoint address, IReadOnlyList<MemberSnapshot> mine, CancellationToken cancellationToken) =>
            Answer ? Task.FromResult<IReadOnlyList<MemberSnapshot>>([]) : Task.FromException<IReadOnlyList<MemberSnapshot>>(new InvalidOperationException("refused this identity"));

        public Task<bool> PingAsync(IPEndPoint address, string memberId, CancellationToken cancellationToken) => Task.FromResult(false);
    }

    [Fact]
    public async Task A_failing_seed_is_warned_about_once_until_a_join_through_it_works()
    {
        var clock = new SimClock();
        var events = new Events();
        var exchange = new Exchange();
        var seed = new IPEndPoint(IPAddress.Loopback, 7341);
        using var security = new DatagramSecurity("a");
        using var node = new SwimNode("a", new IPEndPoint(IPAddress.Loopback, 7340), SwimOptions.Default, security, new Silent(), exchange, clock, events, new Random(1));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(0, await node.JoinAsync([seed]));
        }

        Assert.Equal(1, events.Count(4009, LogLevel.Warning));
        Assert.Equal(2, events.Count(4015, LogLevel.Debug));

        exchange.Answer = true;
        Assert.Equal(1, await node.JoinAsync([seed]));
        exchange.Answer = false;
        Assert.Equal(0, await node.JoinAsync([seed]));
        Assert.Equal(2, events.Count(4009, LogLevel.Warning)); // a new outage is said again
    }
}
