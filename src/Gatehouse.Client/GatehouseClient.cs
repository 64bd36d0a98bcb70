using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Client;

/// <summary>
/// A client of one gateway. All calls share one multiplexed TLS connection, made on first use and
/// made again after it closes. Failures are retried by the client library's one
/// <see cref="Client.RetryPolicy"/> (the same as <see cref="Fanout.FanoutClient"/>'s): transient
/// connect failures and requests the gateway did not take, at most
/// <see cref="ConnectionOptions.MaxRetries"/> times, with truncated exponential backoff on
/// <see cref="ClientOptions.TimeProvider"/>; a call that may have reached a backend is retried only
/// when the request is marked idempotent.
/// </summary>
public sealed class GatehouseClient : IAsyncDisposable
{
    private readonly ClientOptions _options;
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, GatehouseClient> _members = new(StringComparer.Ordinal);
    // Redirects by (domain, command), and, for redirects a locator made, by (domain, command, key) (Key null: any key).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Domain, string Command, string? Key), GatehouseClient> _redirected = new();
    private int _perKeyRedirects;

    /// <summary>Most per-key redirects remembered (past it they are forgotten, and the gateway redirects again).</summary>
    private const int MaxPerKeyRedirects = 1024;
    private MuxConnection? _connection;
    private (Endpoint Endpoint, Transport.Security.Fingerprint Fingerprint)? _movedTo;
    private bool _disposed;

    /// <summary>Input from which a call announces its size (so a gateway may redirect large inputs); smaller calls say nothing.</summary>
    internal const int AnnounceInputFrom = 64 * 1024;

    /// <summary>A client of the gateway at <paramref name="endpoint"/>; connects to nothing until the first call.</summary>
    public GatehouseClient(Endpoint endpoint, ClientOptions options, ILogger? logger = null)
        : this(endpoint, options, logger, null)
    {
    }

    /// <summary>A client whose retries follow <paramref name="retryPolicy"/> (the fan-out client shares its own).</summary>
    internal GatehouseClient(Endpoint endpoint, ClientOptions options, ILogger? logger, RetryPolicy? retryPolicy)
    {
        ArgumentNullException.ThrowIfNull(options);
        Endpoint = endpoint;
        _options = options;
        _logger = logger;
        RetryPolicy = retryPolicy ?? new RetryPolicy(options.Connection, options.TimeProvider);
    }

    /// <summary>The gateway this client talks to.</summary>
    public Endpoint Endpoint { get; }

    /// <summary>How this client retries: which failures, how often, how long between attempts.</summary>
    public RetryPolicy RetryPolicy { get; }

    /// <summary>Connects now if not connected (calls do this themselves).</summary>
    /// <exception cref="ConnectException">Every attempt failed, or the failure cannot be retried.</exception>
    public Task ConnectAsync(CancellationToken cancellationToken = default) =>
        RetryPolicy.RunAsync((_, ct) => GetConnectionAsync(ct).AsTask(), cancellationToken: cancellationToken);

    /// <summary>
    /// Calls a command and collects its output and final status. Remote failures come back as an
    /// error status in the result, not as exceptions. Retried per <see cref="RetryPolicy"/>.
    /// </summary>
    /// <exception cref="ConnectException">The gateway could not be reached (after retries).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; a CANCEL was sent.</exception>
    public Task<CallResult> CallAsync(CallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.StreamsStdin)
        {
            throw new ArgumentException("A request that streams stdin needs StartCallAsync", nameof(request));
        }

        return RetryPolicy.RunAsync((_, ct) => CallOnceAsync(request, ct), r => RetryPolicy.ShouldRetry(r, request), cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Starts a call and returns it for streaming (stdin in, output chunks out). Connecting and
    /// opening the stream are retried per <see cref="RetryPolicy"/>; once the request has left,
    /// nothing is retried (the caller holds the stream).
    /// </summary>
    /// <exception cref="ConnectException">The gateway could not be reached (after retries).</exception>
    public Task<ActiveCall> StartCallAsync(CallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RetryPolicy.RunAsync((_, ct) => StartCallOnceAsync(request, ct), cancellationToken: cancellationToken);
    }

    /// <summary>
    /// One attempt of <see cref="CallAsync"/>: connect if needed (once), send, collect. Lets
    /// <see cref="ConnectionClosedException"/> out only from opening the stream, i.e. before the
    /// request left (the rule <see cref="RetryPolicy.ShouldRetry(Exception)"/> relies on).
    /// </summary>
    internal async Task<CallResult> CallOnceAsync(CallRequest request, CancellationToken cancellationToken)
    {
        await using var call = await StartCallOnceAsync(request, cancellationToken).ConfigureAwait(false);
        var (status, outputs) = await call.CollectAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return new CallResult(status, outputs);
    }

    private Task<ActiveCall> StartCallOnceAsync(CallRequest request, CancellationToken cancellationToken) => StartCallOnceAsync(request, 0, cancellationToken);

    private async Task<ActiveCall> StartCallOnceAsync(CallRequest request, int hops, CancellationToken cancellationToken)
    {
        // A command this client was redirected for before goes straight to that member (if it still answers).
        if (_options.FollowRedirects && !_redirected.IsEmpty)
        {
            // Per-key redirects (a locator's) are rare: the key is worked out only when some exist.
            var key = (request.Domain, request.Command, Volatile.Read(ref _perKeyRedirects) > 0 ? request.PlacementKey : null);
            if ((key.Item3 is not null && _redirected.TryGetValue(key, out var member))
                || _redirected.TryGetValue(key = (request.Domain, request.Command, null), out member))
            {
                try
                {
                    return await member.StartCallOnceAsync(request, hops + 1, cancellationToken).ConfigureAwait(false);
                }
                catch (ConnectException)
                {
                    _redirected.TryRemove(new(key, member)); // back to this gateway
                }
            }
        }

        TimeSpan? deadline = request.Deadline ?? _options.Connection.CallDeadline;
        var header = request.ToHeader(deadline);
        if (request.Idempotent)
        {
            // Lets a forwarding gateway replace a member lost mid-call (before any output came back).
            header = header with { Metadata = [.. header.Metadata, new("GATEHOUSE_IDEMPOTENT", "1")] };
        }

        if (_options.FollowRedirects && request.StreamsStdin)
        {
            // Streamed stdin cannot be replayed to another member: the gateway forwards this call instead of redirecting it.
            header = header with { Metadata = [.. header.Metadata, new("GATEHOUSE_STREAMS_INPUT", "1")] };
        }
        else if (_options.FollowRedirects && request.Stdin is { Length: >= AnnounceInputFrom } input)
        {
            header = header with { Metadata = [.. header.Metadata, new("GATEHOUSE_INPUT_BYTES", input.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))] };
        }

        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);

        // The REQUEST and as much stdin as the windows take leave together. A ConnectionClosedException
        // here means the connection went away before the request left: safe to retry on a new one.
        var (stream, stdinSent) = await connection.OpenStreamAsync(header, request.Stdin ?? default, endStream: !request.StreamsStdin, cancellationToken).ConfigureAwait(false);
        Func<string, CancellationToken, Task<ActiveCall>>? follow = _options.FollowRedirects && hops < _options.MaxRedirects && !request.StreamsStdin
            ? (target, ct) => FollowAsync(request, target, hops, ct)
            : null;
        var call = new ActiveCall(stream, deadline, follow);
        if (request.Stdin is { } stdin && stdinSent < stdin.Length)
        {
            _ = SendStdinAsync(call, stdin[stdinSent..]);
        }

        return call;
    }

    /// <summary>
    /// Follows a see-other-host redirect: the member it names, pinned to the fingerprint this
    /// (authenticated) gateway gave for it, gets the same call; later calls for the command go there too.
    /// </summary>
    /// <exception cref="ConnectException">The message is not a redirect, or the member cannot be reached or presents another fingerprint.</exception>
    private async Task<ActiveCall> FollowAsync(CallRequest request, string target, int hops, CancellationToken cancellationToken)
    {
        if (!SeeOtherHost.TryParse(target, out string address, out string fingerprintText, out bool perKey) || !Transport.Security.Fingerprint.TryParse(fingerprintText, out var fingerprint))
        {
            throw new ConnectException(ConnectFailure.Network, $"{Endpoint} answered see-other-host with an unusable target: {target}");
        }

        Endpoint endpoint;
        try
        {
            endpoint = Endpoint.Parse(address);
        }
        catch (FormatException ex)
        {
            throw new ConnectException(ConnectFailure.Network, $"{Endpoint} redirected to an unusable address {address}: {ex.Message}");
        }

        var member = _members.GetOrAdd(address + "=" + fingerprintText, _ => new GatehouseClient(endpoint, _options with { Pins = ClientOptions.PinTo(fingerprint), Rollover = null }, _logger, RetryPolicy));
        var call = await member.StartCallOnceAsync(request, hops + 1, cancellationToken).ConfigureAwait(false);
        if (!perKey)
        {
            _redirected[(request.Domain, request.Command, null)] = member;
        }
        else if (request.PlacementKey is { } placement)
        {
            // A locator placed this key there: other keys of the command may live elsewhere.
            if (Interlocked.Increment(ref _perKeyRedirects) > MaxPerKeyRedirects)
            {
                foreach (var k in _redirected.Keys.Where(k => k.Key is not null))
                {
                    _redirected.TryRemove(k, out _);
                }

                Volatile.Write(ref _perKeyRedirects, 1);
            }

            _redirected[(request.Domain, request.Command, placement)] = member;
        }

        return call;
    }

    private static async Task SendStdinAsync(ActiveCall call, ReadOnlyMemory<byte> stdin)
    {
        try
        {
            if (!stdin.IsEmpty)
            {
                await call.WriteStdinAsync(stdin).ConfigureAwait(false);
            }

            await call.CompleteStdinAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException or InvalidOperationException)
        {
            // The call ended before its stdin was sent; its status says why.
        }
    }

    private async ValueTask<MuxConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _connection);
        if (current is not null && !current.IsGoingAway)
        {
            return current;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            current = _connection;
            if (current is not null && !current.IsGoingAway)
            {
                return current;
            }

            // A gateway that went away naming another member (it is draining): reconnect there.
            if (_options.FollowRedirects && current is { IsGoingAway: true }
                && SeeOtherHost.TryParseTrailing(current.CloseReason.Message, out string address, out string fpText)
                && Transport.Security.Fingerprint.TryParse(fpText, out var fp))
            {
                try
                {
                    _movedTo = (Endpoint.Parse(address), fp);
                }
                catch (FormatException)
                {
                    // Not an address: stay with this gateway.
                }
            }

            if (_movedTo is { } moved)
            {
                try
                {
                    var elsewhere = await DialAsync(moved.Endpoint, moved.Fingerprint, _options.Connection with { MaxRetries = 0 }, cancellationToken).ConfigureAwait(false);
                    Volatile.Write(ref _connection, elsewhere);
                    return elsewhere;
                }
                catch (ConnectException)
                {
                    _movedTo = null; // back to the gateway this client was made for
                }
            }

            // One connect attempt; the retry policy decides whether to wait and try again.
            var connection = await ConnectOnceAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _connection, connection);
            return connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private Task<MuxConnection> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        var pinned = _options.Pins(Endpoint);
        if (pinned is null)
        {
            throw new ConnectException(ConnectFailure.NotTrusted,
                $"No fingerprint is pinned for {Endpoint}; run 'gatehouse trust {Endpoint}' or pass --fingerprint");
        }

        var expected = pinned.Value;
        return DialPinnedAsync(expected, cancellationToken);
    }

    /// <summary>
    /// Connects to this client's gateway, which must present <paramref name="expected"/> or the
    /// successor it announced for it (then the successor becomes the pin). Identity notices on the
    /// connection are verified and recorded.
    /// </summary>
    private async Task<MuxConnection> DialPinnedAsync(Transport.Security.Fingerprint expected, CancellationToken cancellationToken)
    {
        var rollover = _options.Rollover;
        var successor = rollover?.Successor(Endpoint);
        Transport.Security.Fingerprint presented = default;
        var connection = await Dialer.ConnectAsync(Endpoint, _options.Identity, fp =>
        {
            presented = fp;
            return fp == expected || (successor is { } next && fp == next);
        }, _options.Connection, Mux(), _logger, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (rollover is null)
        {
            return connection;
        }

        var pinned = expected;
        if (successor is { } s && presented == s && presented != expected)
        {
            try
            {
                rollover.Promote(Endpoint, s);
                pinned = s;
                if (_logger is not null)
                {
                    Log.SuccessorPromoted(_logger, Endpoint.ToString(), s.ToString());
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                if (_logger is not null)
                {
                    Log.SuccessorNotRecorded(_logger, Endpoint.ToString(), ex.Message);
                }
            }
        }

        void OnNotice(MuxConnection _, byte[] statement) => RecordSuccessor(pinned, statement);
        connection.IdentityNoticeReceived += OnNotice;
        if (connection.IdentityNotice is { } early)
        {
            RecordSuccessor(pinned, early);
        }

        return connection;
    }

    /// <summary>Checks a gateway's IDENTITY statement against the key this connection was pinned to, and records it when good.</summary>
    private void RecordSuccessor(Transport.Security.Fingerprint pinned, byte[] encoded)
    {
        var statement = Transport.Security.SuccessorStatement.VerifyFrom(encoded, Transport.Security.SuccessorPurpose.Gateway, pinned, out string? error);
        if (statement is null)
        {
            if (_logger is not null)
            {
                Log.SuccessorRefused(_logger, Endpoint.ToString(), error ?? "refused");
            }

            return;
        }

        try
        {
            _options.Rollover?.RecordSuccessor(Endpoint, statement.Current, statement.Next);
            if (_logger is not null)
            {
                Log.SuccessorRecorded(_logger, Endpoint.ToString(), statement.Current.ToString(), statement.Next.ToString());
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            if (_logger is not null)
            {
                Log.SuccessorNotRecorded(_logger, Endpoint.ToString(), ex.Message);
            }
        }
    }

    /// <summary>One connection attempt to <paramref name="endpoint"/>, which must present <paramref name="expected"/>.</summary>
    private Task<MuxConnection> DialAsync(Endpoint endpoint, Transport.Security.Fingerprint expected, ConnectionOptions connection, CancellationToken cancellationToken) =>
        Dialer.ConnectAsync(endpoint, _options.Identity, fp => fp == expected, connection, Mux(), _logger, cancellationToken: cancellationToken);

    /// <summary>The protocol options announced: the client's, saying it follows redirects and takes identity notices when it does.</summary>
    private MuxOptions Mux() => _options.FollowRedirects || _options.Rollover is not null
        ? _options.Mux with { Settings = _options.Mux.Settings with { FollowsRedirects = _options.FollowRedirects, AcceptsIdentityNotices = _options.Rollover is not null } }
        : _options.Mux;

    /// <summary>Closes the connection; calls still open end with an error status.</summary>
    public async ValueTask DisposeAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_connection is { } connection)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var member in _members.Values)
            {
                await member.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }
}
