namespace Gatehouse.Commands;

/// <summary>remctl's protocol error codes (MESSAGE_ERROR) and the messages remctld sends with them.</summary>
public static class RemctlError
{
    /// <summary>Internal server failure.</summary>
    public const int Internal = 1;

    /// <summary>Invalid format in token.</summary>
    public const int BadToken = 2;

    /// <summary>Unknown message type.</summary>
    public const int UnknownMessage = 3;

    /// <summary>Invalid command format in token (for example a NUL in the command or subcommand).</summary>
    public const int BadCommand = 4;

    /// <summary>Unknown command.</summary>
    public const int UnknownCommand = 5;

    /// <summary>Access denied.</summary>
    public const int Access = 6;

    /// <summary>Argument count exceeds server limit.</summary>
    public const int TooManyArgs = 7;

    /// <summary>Argument size exceeds server limit.</summary>
    public const int TooMuchData = 8;

    /// <summary>Message type not valid now.</summary>
    public const int UnexpectedMessage = 9;

    /// <summary>No help defined for this command.</summary>
    public const int NoHelp = 10;

    /// <summary>remctld's message for <see cref="Internal"/>.</summary>
    public const string InternalMessage = "Internal failure";

    /// <summary>remctld's message for <see cref="BadCommand"/>.</summary>
    public const string BadCommandMessage = "Invalid command token";

    /// <summary>remctld's message for <see cref="UnknownCommand"/>.</summary>
    public const string UnknownCommandMessage = "Unknown command";

    /// <summary>remctld's message for <see cref="Access"/>.</summary>
    public const string AccessMessage = "Access denied";

    /// <summary>remctld's message for <see cref="TooManyArgs"/> on a help request.</summary>
    public const string TooManyHelpArgsMessage = "Too many arguments for help command";

    /// <summary>remctld's message for <see cref="NoHelp"/>.</summary>
    public const string NoHelpMessage = "No help defined for command";
}
