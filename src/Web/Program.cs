using Dashboard.Web;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json and wwwroot are copied beside the assemblies from the repository root.
    ContentRootPath = AppContext.BaseDirectory,
});
builder.AddDashboard();

var app = builder.Build();
await app.PrepareStorageAsync();
app.UseDashboard();
app.Run();

public partial class Program;
