using System.Collections.Concurrent;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// The live native sessions of one gateway, by id (as Kestrel's connection manager keeps its
/// connections): the connection handler adds a session once it is authenticated and removes it when
/// its connection closes; everyone else can only look.
/// </summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<long, PeerSession> _sessions = new();

    /// <summary>Sessions live now.</summary>
    public int Count => _sessions.Count;

    /// <summary>True when no session is live.</summary>
    public bool IsEmpty => _sessions.IsEmpty;

    internal void Add(PeerSession session)
    {
        if (!_sessions.TryAdd(session.Id, session))
        {
            throw new InvalidOperationException($"Session {session.Id} is already registered");
        }
    }

    internal bool Remove(PeerSession session) => _sessions.TryRemove(new KeyValuePair<long, PeerSession>(session.Id, session));

    /// <summary>Sends GOAWAY with <paramref name="code"/> to every live session; returns how many.</summary>
    internal int GoAwayAll(Protocol.ErrorCode code, string message) => GoAwayAll(code, _ => message);

    /// <summary>GOAWAY to every session, each with its own message (e.g. naming a member to reconnect to).</summary>
    internal int GoAwayAll(Protocol.ErrorCode code, Func<PeerSession, string> message)
    {
        int n = 0;
        foreach (var session in _sessions.Values)
        {
            session.Connection.GoAway(code, message(session));
            n++;
        }

        return n;
    }

    /// <summary>The sessions live at this moment, oldest first.</summary>
    public IReadOnlyList<PeerSession> Snapshot() => [.. _sessions.Values.OrderBy(s => s.Id)];
}
