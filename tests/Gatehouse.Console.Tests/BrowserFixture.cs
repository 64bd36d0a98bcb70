using System.Reflection;
using Gatehouse.WebConsole;
using Microsoft.Playwright;

namespace Gatehouse.Console.Tests;

/// <summary>
/// Debian's chromium (<c>/usr/bin/chromium</c>, installed by test.sh), driven by Playwright for .NET
/// without any browser download. One browser for the collection; each test opens its own context
/// (its own cookies) and logs in with its own console's one-time link.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>The system Chromium the tests drive.</summary>
    public const string Chromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: test artifacts beside the test assembly (and docs/images with GATEHOUSE_DOC_IMAGES=1).</summary>
    public static string ArtifactsDir { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "console");

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium package (test.sh does)");
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        Directory.CreateDirectory(ArtifactsDir);
    }

    /// <summary>
    /// A new browser context (1280x800 unless said otherwise) logged in to <paramref name="server"/>
    /// through its one-time link; the page is on <c>/</c>, the token gone from the address. Browser
    /// console errors and page errors are collected in <see cref="ConsolePage.Errors"/>.
    /// </summary>
    public async Task<ConsolePage> OpenAsync(ConsoleServer server, int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        var result = new ConsolePage(context, page);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                result.Errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => result.Errors.Add(error);
        var response = await page.GotoAsync(server.LoginUrl.ToString());
        Assert.NotNull(response);
        Assert.Equal(200, response!.Status);
        Assert.Equal(new Uri(server.BaseUri, "/").ToString(), page.Url);
        return result;
    }

    /// <summary>Saves a screenshot as a test artifact (and into docs/images when GATEHOUSE_DOC_IMAGES=1).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        string path = Path.Combine(ArtifactsDir, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 1000, $"screenshot {path} is empty");
        if (Environment.GetEnvironmentVariable("GATEHOUSE_DOC_IMAGES") == "1")
        {
            string repo = typeof(BrowserFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
            string docs = Path.Combine(repo, "docs", "images");
            Directory.CreateDirectory(docs);
            File.Copy(path, Path.Combine(docs, "console-" + name + ".png"), overwrite: true);
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>A logged-in page of the console and what its browser reported.</summary>
public sealed class ConsolePage(IBrowserContext context, IPage page) : IAsyncDisposable
{
    public IPage Page { get; } = page;

    /// <summary>Console errors (a CSP violation among them) and uncaught script errors.</summary>
    public List<string> Errors { get; } = [];

    public ValueTask DisposeAsync() => new(context.CloseAsync());
}
