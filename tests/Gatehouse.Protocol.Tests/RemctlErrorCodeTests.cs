namespace Gatehouse.Protocol.Tests;

/// <summary>remctl's error codes have one definition, with the wire values of draft-allbery-remctl section 3.4.</summary>
public class RemctlErrorCodeTests
{
    [Theory]
    [InlineData(RemctlErrorCode.Internal, 1, ErrorCode.Internal, "Internal failure")]
    [InlineData(RemctlErrorCode.BadToken, 2, ErrorCode.BadToken, "Invalid token")]
    [InlineData(RemctlErrorCode.UnknownMessage, 3, ErrorCode.UnknownMessage, "Unknown message")]
    [InlineData(RemctlErrorCode.BadCommand, 4, ErrorCode.BadCommand, "Invalid command token")]
    [InlineData(RemctlErrorCode.UnknownCommand, 5, ErrorCode.UnknownCommand, "Unknown command")]
    [InlineData(RemctlErrorCode.Access, 6, ErrorCode.Access, "Access denied")]
    [InlineData(RemctlErrorCode.TooManyArgs, 7, ErrorCode.TooManyArgs, "Too many arguments")]
    [InlineData(RemctlErrorCode.TooMuchData, 8, ErrorCode.TooMuchData, "Too much data")]
    [InlineData(RemctlErrorCode.UnexpectedMessage, 9, ErrorCode.UnexpectedMessage, "Unexpected message")]
    [InlineData(RemctlErrorCode.NoHelp, 10, ErrorCode.NoHelp, "No help defined for command")]
    public void Each_code_keeps_its_wire_value_its_gatehouse_twin_and_remctlds_message(RemctlErrorCode code, int wire, ErrorCode gatehouse, string message)
    {
        Assert.Equal(wire, (int)code);
        Assert.Equal(wire, (int)gatehouse);
        Assert.Equal(message, RemctlErrorMessages.For(code));
    }

    [Fact]
    public void There_are_exactly_ten_and_unknown_codes_still_get_a_message()
    {
        Assert.Equal(Enumerable.Range(1, 10), Enum.GetValues<RemctlErrorCode>().Select(c => (int)c));
        Assert.Equal("Error 42", RemctlErrorMessages.For((RemctlErrorCode)42));
    }
}
