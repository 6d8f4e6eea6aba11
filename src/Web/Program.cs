using Dashboard.Web;
using Dashboard.Web.Auth;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json and wwwroot are copied beside the assemblies from the repository root.
    ContentRootPath = AppContext.BaseDirectory,
});
builder.AddDashboard();

var app = builder.Build();
if (args is ["create-admin", var name, ..]) return await AdminCommand.RunAsync(app, name);
app.CheckSignInOrLoopback();
await app.PrepareStorageAsync();
app.UseDashboard();
app.Run();
return 0;

public partial class Program;
