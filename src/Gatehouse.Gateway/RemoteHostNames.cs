using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Gateway;

/// <summary>
/// REMOTE_HOST: the client's host name by reverse lookup of its address (as remctld sets it), with a
/// short timeout so no command waits longer than <see cref="GatewayOptions.RemoteHostTimeout"/> for it,
/// and a bounded cache (names kept 5 minutes, failures 1 minute). One lookup per address at a time.
/// </summary>
internal sealed class RemoteHostNames(TimeSpan timeout, TimeProvider? time = null)
{
    /// <summary>Most addresses remembered.</summary>
    public const int MaxEntries = 10_000;

    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan KeepFailure = TimeSpan.FromMinutes(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, (Task<string?> Name, long Until)> _cache = new(StringComparer.Ordinal);

    /// <summary>The name of <paramref name="address"/> if already known; never waits.</summary>
    public string? Cached(string address) =>
        _cache.TryGetValue(address, out var e) && e.Name.IsCompletedSuccessfully && _time.GetTimestamp() < e.Until ? e.Name.Result : null;

    /// <summary>The name of <paramref name="address"/>, waiting at most the timeout; null when it has none, the lookup failed or took too long.</summary>
    public async ValueTask<string?> ResolveAsync(string address, CancellationToken cancellationToken)
    {
        if (address.Length == 0 || !IPAddress.TryParse(address, out var ip))
        {
            return null;
        }

        long now = _time.GetTimestamp();
        if (!_cache.TryGetValue(address, out var entry) || now >= entry.Until)
        {
            if (_cache.Count >= MaxEntries)
            {
                _cache.Clear(); // rare: a flood of distinct addresses; lookups start again
            }

            var lookup = LookUpAsync(ip);
            entry = (lookup, now + (long)(Keep.TotalSeconds * _time.TimestampFrequency));
            _cache[address] = entry;
            _ = lookup.ContinueWith(
                static (t, s) =>
                {
                    var (self, a) = ((RemoteHostNames, string))s!;
                    if (t.Result is null && self._cache.TryGetValue(a, out var e) && e.Name == t)
                    {
                        self._cache.TryUpdate(a, (t, self._time.GetTimestamp() + (long)(KeepFailure.TotalSeconds * self._time.TimestampFrequency)), e);
                    }
                },
                (this, address),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        try
        {
            return await entry.Name.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null; // the lookup goes on; a later command may find the name cached
        }
    }

    private static async Task<string?> LookUpAsync(IPAddress address)
    {
        try
        {
            var entry = await Dns.GetHostEntryAsync(address).ConfigureAwait(false);
            return string.IsNullOrEmpty(entry.HostName) || entry.HostName == address.ToString() ? null : entry.HostName;
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            return null;
        }
    }
}
