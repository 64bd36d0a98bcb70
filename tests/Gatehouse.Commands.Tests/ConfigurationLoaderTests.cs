using Gatehouse.Commands.Configuration;

namespace Gatehouse.Commands.Tests;

public class ConfigurationLoaderTests
{
    [Fact]
    public void Include_file_is_pasted_in_place()
    {
        using var dir = new TempDir();
        string inc = dir.File("extra", "b ALL /bin/b ANYUSER\n");
        string main = dir.File("remctl.conf", $"a ALL /bin/a ANYUSER\ninclude {inc}\nc ALL /bin/c ANYUSER\n");
        var config = CommandConfiguration.Load(main);
        Assert.Equal(["a", "b", "c"], config.Lines.Select(l => l.Command));
        Assert.Equal(new SourceLocation(inc, 1), config.Lines[1].Source);
        Assert.Equal(new SourceLocation(main, 3), config.Lines[2].Source);
    }

    [Fact]
    public void Include_directory_reads_only_names_of_letters_digits_dash_underscore_in_ordinal_order()
    {
        using var dir = new TempDir();
        string d = dir.Sub("conf.d");
        dir.File("conf.d/b-second", "b ALL /bin/b ANYUSER\n");
        dir.File("conf.d/A_first", "a ALL /bin/a ANYUSER\n");
        dir.File("conf.d/c3", "c ALL /bin/c ANYUSER\n");
        dir.File("conf.d/skipped.conf", "x ALL /bin/x ANYUSER\n");
        dir.File("conf.d/backup~", "y ALL /bin/y ANYUSER\n");
        dir.File("conf.d/.hidden", "z ALL /bin/z ANYUSER\n");
        dir.File("conf.d/sub/inner", "w ALL /bin/w ANYUSER\n");
        string main = dir.File("remctl.conf", $"include {d}\n");
        var config = CommandConfiguration.Load(main);
        Assert.Equal(["a", "b", "c"], config.Lines.Select(l => l.Command));
    }

    [Fact]
    public void Relative_include_is_resolved_against_the_including_file()
    {
        using var dir = new TempDir();
        dir.File("sub/part", "p ALL /bin/p ANYUSER\n");
        string main = dir.File("remctl.conf", "include sub/part\n");
        Assert.Equal("p", Assert.Single(CommandConfiguration.Load(main).Lines).Command);
    }

    [Fact]
    public void Loading_a_directory_loads_its_files()
    {
        using var dir = new TempDir();
        dir.File("one", "a ALL /bin/a ANYUSER\n");
        dir.File("two", "b ALL /bin/b ANYUSER\n");
        Assert.Equal(2, CommandConfiguration.Load(dir.Path).Lines.Length);
    }

    [Fact]
    public void Missing_include_names_the_including_line()
    {
        using var dir = new TempDir();
        string main = dir.File("remctl.conf", "a ALL /bin/a ANYUSER\ninclude /nonexistent/gatehouse\n");
        var e = Assert.Throws<ConfigurationException>(() => CommandConfiguration.Load(main));
        Assert.Equal($"{main}:2: included file /nonexistent/gatehouse not found", e.Message);
    }

    [Fact]
    public void Recursive_include_is_an_error()
    {
        using var dir = new TempDir();
        string a = Path.Combine(dir.Path, "a");
        string b = dir.File("b", $"include {a}\n");
        dir.File("a", $"x ALL /bin/x ANYUSER\ninclude {b}\n");
        var e = Assert.Throws<ConfigurationException>(() => CommandConfiguration.Load(a));
        Assert.Equal($"{b}:1: {a} recursively included", e.Message);
    }

    [Fact]
    public void Error_in_an_included_file_names_that_file_and_fails_the_whole_load()
    {
        using var dir = new TempDir();
        string inc = dir.File("bad", "\n\nx y /bin/x frob=1 ANYUSER\n");
        string main = dir.File("remctl.conf", $"a ALL /bin/a ANYUSER\ninclude {inc}\n");
        var e = Assert.Throws<ConfigurationException>(() => CommandConfiguration.Load(main));
        Assert.Equal($"{inc}:3: unknown option frob=1", e.Message);
    }

    [Fact]
    public void Missing_main_file_is_a_configuration_exception()
    {
        var e = Assert.Throws<ConfigurationException>(() => CommandConfiguration.Load("/nonexistent/remctl.conf"));
        Assert.StartsWith("/nonexistent/remctl.conf: cannot open config file", e.Message);
    }

    [Fact]
    public void Parse_rejects_include_because_it_needs_io()
    {
        Assert.Throws<ConfigurationException>(() => CommandConfiguration.Parse("include /etc/x\n", "t"));
    }
}
