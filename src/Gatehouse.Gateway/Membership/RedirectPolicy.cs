namespace Gatehouse.Gateway.Membership;

/// <summary>
/// What a gateway does with a request for a route only another member hosts, when the client said in
/// its HELLO that it follows redirects (clients that did not are always forwarded).
/// </summary>
public enum RedirectPolicy
{
    /// <summary>Forward it (the default): the client keeps one connection; this gateway pays two more encryption passes per byte.</summary>
    Forward,

    /// <summary>Answer see-other-host naming the member: the client talks to it directly from then on.</summary>
    Redirect,

    /// <summary>Redirect calls that announce at least <see cref="ClusterOptions.LargeInputBytes"/> of input; forward the rest.</summary>
    RedirectLargeInput,
}

/// <summary>Parsing of <c>--redirect [DOMAIN=]forward|redirect|large-input</c>.</summary>
public static class RedirectPolicies
{
    /// <summary>The policy named <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">Not a policy name.</exception>
    public static RedirectPolicy Parse(string text) => text switch
    {
        "forward" => RedirectPolicy.Forward,
        "redirect" => RedirectPolicy.Redirect,
        "large-input" => RedirectPolicy.RedirectLargeInput,
        _ => throw new FormatException($"'{text}' is not a redirect policy (forward, redirect, large-input)"),
    };
}
