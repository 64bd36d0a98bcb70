namespace Gatehouse.Gateway.Authorization;

/// <summary>
/// The authorized file cannot be used (a bad line, named <c>file:line</c>; unreadable; refused by
/// StrictModes): the gateway does not start, and <c>gatehouse authorize</c> does not edit it.
/// </summary>
public sealed class AuthorizedPeersException : IOException
{
    public AuthorizedPeersException(string message)
        : base(message)
    {
    }

    public AuthorizedPeersException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AuthorizedPeersException()
    {
    }
}
