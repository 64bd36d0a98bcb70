namespace Gatehouse.Gateway.Audit;

/// <summary>
/// One request, as the audit trail records it when it ended (docs/operations.md lists the fields).
/// </summary>
/// <param name="Time">When it ended (UTC).</param>
/// <param name="Gateway">This gateway's fingerprint.</param>
/// <param name="FrontDoor">native or remctl.</param>
/// <param name="Principal">Who: the authorized name of a native peer, or the Kerberos principal.</param>
/// <param name="Fingerprint">The native peer's certificate fingerprint (empty for remctl).</param>
/// <param name="Address">The client's IP address.</param>
/// <param name="Host">The client's host name (reverse lookup), if known.</param>
/// <param name="Domain">The request's domain.</param>
/// <param name="Command">The command and its arguments, as remctld logs them: <c>logmask=</c> arguments as **MASKED**, the <c>stdin=</c> argument as **DATA**, non-printable characters as '.', cut at the configured length.</param>
/// <param name="Target">What served it: none, control, service, exec, zeromq, forward.</param>
/// <param name="TargetName">The service endpoint or member that served it, if any.</param>
/// <param name="Outcome">ok, exit, or the error code's name.</param>
/// <param name="ExitCode">The exit status, for an exit outcome.</param>
/// <param name="Error">The error code (number), for an error outcome.</param>
/// <param name="Message">The error's message, for an error outcome.</param>
/// <param name="BytesIn">Argument and input bytes from the caller.</param>
/// <param name="BytesOut">Output bytes to the caller.</param>
/// <param name="DurationMs">From arrival to the final status, in milliseconds.</param>
public sealed record AuditRecord(
    DateTimeOffset Time,
    string Gateway,
    string FrontDoor,
    string Principal,
    string Fingerprint,
    string Address,
    string? Host,
    string Domain,
    string Command,
    string Target,
    string? TargetName,
    string Outcome,
    int? ExitCode,
    int? Error,
    string? Message,
    long BytesIn,
    long BytesOut,
    double DurationMs);
