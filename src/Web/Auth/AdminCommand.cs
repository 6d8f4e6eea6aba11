using Dashboard.Data;

namespace Dashboard.Web.Auth;

/// <summary>
/// `dotnet Dashboard.Web.dll create-admin NAME`: an admin account, the password read from standard input (or from
/// DASHBOARD_ADMIN_PASSWORD), so that it appears neither in the shell history nor in the process list.
/// </summary>
public static class AdminCommand
{
    public static async Task<int> RunAsync(WebApplication app, string name)
    {
        var password = Environment.GetEnvironmentVariable("DASHBOARD_ADMIN_PASSWORD");
        if (string.IsNullOrEmpty(password))
        {
            Console.Error.Write($"password for {name}: ");
            password = Console.IsInputRedirected ? Console.ReadLine() ?? "" : ReadHidden();
            Console.Error.WriteLine();
        }
        if (Passwords.Problem(name, password, Roles.Admin) is { } problem)
        {
            Console.Error.WriteLine($"create-admin: {problem}");
            return 2;
        }
        await DatabaseSetup.MigrateAsync(app.Services.GetRequiredService<StorageOptions>());
        try
        {
            await app.Services.GetRequiredService<Passwords>().CreateAsync(name, password, Roles.Admin);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"create-admin: {e.Message}");
            return 2;
        }
        Console.WriteLine($"created admin {name}");
        return 0;
    }

    /// <summary>A line typed at the terminal, not echoed.</summary>
    private static string ReadHidden()
    {
        var text = new System.Text.StringBuilder();
        while (Console.ReadKey(intercept: true) is var key && key.Key != ConsoleKey.Enter)
        {
            if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; }
            else if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        return text.ToString();
    }
}
