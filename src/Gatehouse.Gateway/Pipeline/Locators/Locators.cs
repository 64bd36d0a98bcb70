using System.Text;
using Gatehouse.Gateway.Membership;
using Gatehouse.Gateway.Pipeline.Targets;
using Gatehouse.Protocol;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Pipeline.Locators;

/// <summary>
/// Places requests by their key (seed 001: "if a user is unknown, ask a service for a see-other-host
/// value"). A service registering <c>@locate</c> in a domain is that domain's locator, on this
/// gateway or on any member (its route list says so). A request for such a domain that carries a
/// key (metadata <see cref="LocatorAnswer.KeyMetadata"/>, else its first argument) is placed before it
/// is routed: the locator is asked (once per key and TTL, answers kept in a <see cref="LocateCache"/>)
/// which member serves the key; the request is then forwarded (or redirected, by the domain's policy)
/// to that member, or routed here as usual when the locator names this member or does not know the
/// key. A locator that fails (no answer in time, an error, a malformed answer) does not fail the
/// request: it is routed as usual, and the failure is logged (throttled).
/// </summary>
internal sealed class Locators
{
    private readonly GatewayRuntime _runtime;
    private readonly ClusterMembership? _membership;
    private readonly ServiceTarget _services;
    private readonly ForwardTarget? _forward;
    private readonly LocatorOptions _options;
    private readonly LocateCache _cache;
    private readonly LogThrottle _throttle;

    public Locators(GatewayRuntime runtime, ClusterMembership? membership, ServiceTarget services, ForwardTarget? forward, TimeProvider? time = null)
    {
        _runtime = runtime;
        _membership = membership;
        _services = services;
        _forward = forward;
        _options = membership?.Options.Locators ?? LocatorOptions.Default;
        time ??= TimeProvider.System;
        _cache = new LocateCache(_options.MaxCacheEntries, time);
        _throttle = new LogThrottle(time, TimeSpan.FromMinutes(1));
    }

    /// <summary>Answers kept (or being asked).</summary>
    public int Cached => _cache.Count;

    /// <summary>
    /// True when some locator serves <paramref name="domain"/>, here or on a member. Cheap (no lock):
    /// the try-now path asks it for every request.
    /// </summary>
    public bool Covers(string domain)
    {
        var local = _runtime.Routes.LocatorDomains;
        if (local.Count > 0 && local.Contains(domain))
        {
            return true;
        }

        var remote = _membership?.RemoteRoutes.LocatorDomains;
        return remote is { Count: > 0 } && remote.Contains(domain);
    }

    /// <summary>The key a request is placed by: metadata <see cref="LocatorAnswer.KeyMetadata"/>, else the first argument; null: none.</summary>
    public static string? KeyOf(RequestHeader header) => LocatorAnswer.KeyOf(header.Metadata, header.Arguments);

    /// <summary>True when <paramref name="request"/> must be placed by a locator before it is routed.</summary>
    public bool Applies(GatewayRequest request)
    {
        var header = request.Header;
        return header.Domain != RequestHeader.ControlDomain
            && Routing.RouteTable.Wildcarded(header.Command)
            && Covers(header.Domain)
            && !ForwardedMetadata.IsForwarded(header, request.Caller)
            && KeyOf(header) is not null;
    }

    /// <summary>
    /// Where <paramref name="request"/> goes by its key: a target for the member the locator named,
    /// null to route it as usual (this member, key unknown, or the locator failed), or an error
    /// status when the named member cannot take it.
    /// </summary>
    public async Task<(IRequestTarget? Target, CallStatus? Error)> PlaceAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var header = request.Header;
        string key = KeyOf(header)!;
        var located = await _cache.GetOrAsk(header.Domain, key, () => AskAsync(request.Caller, header.Domain, key, header.Command, request.Deadline))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        if (located.Failure is { } failure)
        {
            if (_throttle.ShouldLog(header.Domain, failure))
            {
                Log.LocatorFailed(_runtime.Logger, header.Domain, failure);
            }

            return (null, null);
        }

        if (located.Member is not { } named || _membership is null || IsSelf(named))
        {
            return (null, null);
        }

        var live = _membership.LiveMembers;
        LiveMember? member = live.GetValueOrDefault(named);
        if (member is null)
        {
            foreach (var m in live.Values)
            {
                if (m.Address.ToString() == named)
                {
                    member = m;
                    break;
                }
            }
        }

        if (member is null || _forward is null)
        {
            return (null, CallStatus.Error(ErrorCode.BackendFailed, $"The locator of domain {header.Domain} places '{key}' on member {named}, which is not a live member of this cluster"));
        }

        return (_forward.To(member), null);
    }

    private bool IsSelf(string named) =>
        named == _membership!.Id || (_membership.Address is { } self && named == self.ToString());

    /// <summary>Puts the question to the domain's locator (attached here, else on a member) and reads its answer.</summary>
    private async Task<Located> AskAsync(Caller caller, string domain, string key, string command, DateTimeOffset? deadline)
    {
        var timeout = _options.Timeout;
        if (deadline is { } d && d - DateTimeOffset.UtcNow < timeout)
        {
            timeout = d - DateTimeOffset.UtcNow;
            if (timeout <= TimeSpan.Zero)
            {
                return Located.Failed("the request's deadline passed before the locator could be asked", TimeSpan.Zero);
            }
        }

        var question = new RequestHeader
        {
            Domain = domain,
            Command = LocatorAnswer.Command,
            Arguments = [Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(command)],
            DeadlineMs = (uint)Math.Max(1, timeout.TotalMilliseconds),
        };
        IRequestTarget? target = _services.Serves(question) ? _services
            : _forward is not null && _forward.Serves(question) ? _forward
            : null;
        if (target is null)
        {
            return Located.Failed($"no locator for domain {domain} is reachable", _options.FailureTtl);
        }

        var ask = new LocateRequest(caller, question);
        using var cts = new CancellationTokenSource(timeout);
        var run = target.ExecuteAsync(ask, cts.Token);
        CallStatus status;
        try
        {
            // The target stops when cancelled; the margin bounds a locator that ignores CANCEL.
            status = await run.WaitAsync(timeout + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            ReleaseWhenDone(run, ask);
            return Located.Failed($"the locator did not answer within {timeout.TotalSeconds:0.###} s", _options.FailureTtl);
        }
        catch (Exception ex)
        {
            ReleaseWhenDone(run, ask);
            return Located.Failed($"asking the locator failed: {ex.Message}", _options.FailureTtl);
        }

        Release(ask);
        if (!status.IsSuccess)
        {
            return Located.Failed(status.Kind == StatusKind.Exit ? $"the locator exited with {status.Code}" : $"the locator answered {status}", _options.FailureTtl);
        }

        if (ask.Overflowed)
        {
            return Located.Failed($"the locator wrote more than {LocatorAnswer.MaxBytes} bytes", _options.FailureTtl);
        }

        if (!LocatorAnswer.TryParse(ask.Stdout, out var answer, out string error))
        {
            return Located.Failed($"the locator's answer is malformed: {error}", _options.FailureTtl);
        }

        return new Located(answer.Member, null, answer.Ttl ?? _options.DefaultTtl);
    }

    private void ReleaseWhenDone(Task<CallStatus> run, LocateRequest ask) =>
        _ = run.ContinueWith(
            static (t, s) =>
            {
                _ = t.Exception; // a question abandoned at its timeout may still fail: observed, not reported by the finalizer
                var (self, a) = ((Locators, LocateRequest))s!;
                self.Release(a);
            },
            (this, ask),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private void Release(LocateRequest ask)
    {
        if (ask.Lease is { } lease)
        {
            ask.Lease = null;
            _runtime.Routes.Release(lease);
        }
    }
}
