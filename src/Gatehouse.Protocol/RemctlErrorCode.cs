namespace Gatehouse.Protocol;

/// <summary>
/// remctl's error codes, sent in MESSAGE_ERROR (draft-allbery-remctl section 3.4, plus remctl's
/// ERROR_NO_HELP). The one definition: the remctl wire layer (Gatehouse.Remctl), the remctl.conf
/// command runner (Gatehouse.Commands) and Gatehouse's own <see cref="ErrorCode"/> 1..10 all use it.
/// Receivers must accept codes outside this list.
/// </summary>
public enum RemctlErrorCode
{
    /// <summary>1: internal server failure.</summary>
    Internal = 1,
    /// <summary>2: invalid format in token.</summary>
    BadToken = 2,
    /// <summary>3: unknown message type.</summary>
    UnknownMessage = 3,
    /// <summary>4: invalid command format in token (for example a NUL in the command or subcommand).</summary>
    BadCommand = 4,
    /// <summary>5: unknown command.</summary>
    UnknownCommand = 5,
    /// <summary>6: access denied.</summary>
    Access = 6,
    /// <summary>7: argument count exceeds server limit.</summary>
    TooManyArgs = 7,
    /// <summary>8: argument size exceeds server limit.</summary>
    TooMuchData = 8,
    /// <summary>9: message type not valid now.</summary>
    UnexpectedMessage = 9,
    /// <summary>10: no help defined for this command (remctl extension).</summary>
    NoHelp = 10,
}

/// <summary>
/// The messages remctld sends with each <see cref="RemctlErrorCode"/> (what stock remctl clients
/// print), so every Gatehouse front door words a refusal the same way.
/// </summary>
public static class RemctlErrorMessages
{
    /// <summary>With <see cref="RemctlErrorCode.Internal"/>.</summary>
    public const string Internal = "Internal failure";

    /// <summary>With <see cref="RemctlErrorCode.BadToken"/>.</summary>
    public const string BadToken = "Invalid token";

    /// <summary>With <see cref="RemctlErrorCode.UnknownMessage"/>.</summary>
    public const string UnknownMessage = "Unknown message";

    /// <summary>With <see cref="RemctlErrorCode.BadCommand"/>.</summary>
    public const string BadCommand = "Invalid command token";

    /// <summary>With <see cref="RemctlErrorCode.UnknownCommand"/>.</summary>
    public const string UnknownCommand = "Unknown command";

    /// <summary>With <see cref="RemctlErrorCode.Access"/>.</summary>
    public const string Access = "Access denied";

    /// <summary>With <see cref="RemctlErrorCode.TooManyArgs"/>.</summary>
    public const string TooManyArgs = "Too many arguments";

    /// <summary>With <see cref="RemctlErrorCode.TooManyArgs"/> on a help request (<c>help</c> takes at most two).</summary>
    public const string TooManyHelpArgs = "Too many arguments for help command";

    /// <summary>With <see cref="RemctlErrorCode.TooMuchData"/>.</summary>
    public const string TooMuchData = "Too much data";

    /// <summary>With <see cref="RemctlErrorCode.UnexpectedMessage"/>.</summary>
    public const string UnexpectedMessage = "Unexpected message";

    /// <summary>With <see cref="RemctlErrorCode.NoHelp"/>.</summary>
    public const string NoHelp = "No help defined for command";

    /// <summary>The standard message for <paramref name="code"/>; for a code remctl does not define, <c>Error N</c>.</summary>
    public static string For(RemctlErrorCode code) => code switch
    {
        RemctlErrorCode.Internal => Internal,
        RemctlErrorCode.BadToken => BadToken,
        RemctlErrorCode.UnknownMessage => UnknownMessage,
        RemctlErrorCode.BadCommand => BadCommand,
        RemctlErrorCode.UnknownCommand => UnknownCommand,
        RemctlErrorCode.Access => Access,
        RemctlErrorCode.TooManyArgs => TooManyArgs,
        RemctlErrorCode.TooMuchData => TooMuchData,
        RemctlErrorCode.UnexpectedMessage => UnexpectedMessage,
        RemctlErrorCode.NoHelp => NoHelp,
        _ => "Error " + ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
