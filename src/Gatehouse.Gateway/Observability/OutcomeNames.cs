using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// How metrics and audit records name a request's outcome: <c>ok</c> (exit 0), <c>exit</c> (another
/// exit status) or the error code in snake case (<c>unknown_command</c>, <c>access</c>,
/// <c>backend_failed</c>, ...). A fixed, small set: the names are label values.
/// </summary>
public static class OutcomeNames
{
    private static readonly Dictionary<ErrorCode, string> Errors = Enum.GetValues<ErrorCode>().ToDictionary(c => c, Snake);

    /// <summary>The outcome's name.</summary>
    public static string Of(in CallStatus status) => status.Kind switch
    {
        StatusKind.Exit => status.Code == 0 ? "ok" : "exit",
        _ => Errors.GetValueOrDefault(status.ErrorCode) ?? "error",
    };

    private static string Snake(ErrorCode code)
    {
        string name = code.ToString();
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                sb.Append('_');
            }

            sb.Append(char.ToLowerInvariant(name[i]));
        }

        return sb.ToString();
    }
}
