using Gatehouse.Commands.Acl;
using Gatehouse.Commands.Configuration;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Pipeline.Targets;
using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Pipeline;

/// <summary>
/// Whether a caller may have its request served by a kind of target. Native peers are held to
/// their grant (the client role and the domains it lists; the control domain checks roles per
/// command itself). Remctl clients reach attached services only if their principal passes
/// <see cref="GatewayOptions.RemctlServiceAcl"/>; remctl.conf commands apply their own ACLs when
/// they run, for every front door.
/// </summary>
internal sealed class RequestAuthorizer
{
    private readonly IReadOnlyList<AclEntry> _remctlServiceAcl;
    private readonly AclEvaluator _acl = new();

    /// <exception cref="ConfigurationException"><paramref name="remctlServiceAcl"/> is not a valid ACL list.</exception>
    public RequestAuthorizer(string remctlServiceAcl)
    {
        _remctlServiceAcl = remctlServiceAcl.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(a => AclParser.Parse(a, AclMethod.Princ)).ToList();
    }

    /// <summary>Null when allowed; otherwise the refusal to answer with.</summary>
    /// <param name="kind">The target that would serve it; null when nothing does (the caller is still checked, so a refusal does not depend on what exists).</param>
    public CallStatus? Check(GatewayRequest request, TargetKind? kind)
    {
        var caller = request.Caller;
        if (caller.Grant is { } grant)
        {
            if (kind == TargetKind.Control)
            {
                return null;
            }

            if (ForwardedMetadata.IsForwarded(request.Header, caller))
            {
                // Another member authorized the original caller (the grants are the same on every
                // member); its requests are not forwarded again (see RequestPipeline.Resolve).
                return null;
            }

            if (!grant.Has(PeerRoles.Client))
            {
                return request.AccessDenied($"{grant.Name} does not have the client role");
            }

            return grant.AllowsDomain(request.Header.Domain)
                ? null
                : request.AccessDenied($"{grant.Name} may not call domain '{request.Header.Domain}'");
        }

        if (kind == TargetKind.Service)
        {
            var decision = _acl.Check(_remctlServiceAcl, new AclSubject(caller.Name, caller.IsAnonymous), new SourceLocation("RemctlServiceAcl", 0));
            if (!decision.Allowed)
            {
                return request.AccessDenied($"{caller.Name} is not allowed by RemctlServiceAcl");
            }
        }

        return null;
    }
}
