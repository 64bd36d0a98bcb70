using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.WebConsole.Security;

/// <summary>
/// The console's only credentials: one login token, printed once in the URL and spent by its first
/// use, and the sessions it opens (random 256-bit ids, kept here and nowhere else, sent to the
/// browser in an HttpOnly, SameSite=Strict cookie). Comparisons are constant-time. No I/O.
/// </summary>
internal sealed class SessionGate
{
    /// <summary>The session cookie's name.</summary>
    public const string CookieName = "gatehouse_console";

    /// <summary>Most sessions open at once; opening one more drops the oldest.</summary>
    public const int MaxSessions = 16;

    private readonly object _lock = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private byte[]? _token;

    public SessionGate(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        Token = NewSecret();
        _token = Encoding.ASCII.GetBytes(Token);
    }

    /// <summary>The login token (base64url of 32 random bytes); valid until first used.</summary>
    public string Token { get; }

    /// <summary>True while the token has not been used.</summary>
    public bool TokenUnused
    {
        get
        {
            lock (_lock)
            {
                return _token is not null;
            }
        }
    }

    /// <summary>
    /// Spends the token: when <paramref name="presented"/> is it and it was never used, opens a
    /// session and returns its id; otherwise null (a wrong token does not spend the right one).
    /// </summary>
    public string? Redeem(string? presented)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > 256)
        {
            return null;
        }

        lock (_lock)
        {
            if (_token is null || !CryptographicOperations.FixedTimeEquals(_token, Encoding.ASCII.GetBytes(presented)))
            {
                return null;
            }

            _token = null;
        }

        string session = NewSecret();
        if (_sessions.Count >= MaxSessions)
        {
            foreach (var oldest in _sessions.OrderBy(s => s.Value).Take(_sessions.Count - MaxSessions + 1))
            {
                _sessions.TryRemove(oldest.Key, out _);
            }
        }

        _sessions[session] = _time.GetUtcNow();
        return session;
    }

    /// <summary>True when <paramref name="cookie"/> is the id of an open session (constant-time per session).</summary>
    public bool IsSession(string? cookie)
    {
        if (string.IsNullOrEmpty(cookie) || cookie.Length > 256)
        {
            return false;
        }

        byte[] presented = Encoding.ASCII.GetBytes(cookie);
        bool found = false;
        foreach (string id in _sessions.Keys)
        {
            found |= CryptographicOperations.FixedTimeEquals(presented, Encoding.ASCII.GetBytes(id));
        }

        return found;
    }

    /// <summary>32 random bytes, base64url without padding (43 characters).</summary>
    internal static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
