using Vigil.Core.Security;
using Vigil.Core.Workspace;
using Vigil.Web.Hosting;

namespace Vigil.Web.Security;

/// <summary>
/// <c>VIGIL_BOOTSTRAP_TOKEN</c>: automation (CI, provisioning) knows an admin token before the
/// server starts. It is created only if that token was never stored, so a revoked bootstrap
/// token stays revoked across restarts.
/// </summary>
public static class BootstrapToken
{
    public const string Variable = "VIGIL_BOOTSTRAP_TOKEN";
    public const int MinimumLength = 24;

    public static async Task EnsureAsync(IServiceProvider services, CancellationToken ct)
    {
        var options = services.GetRequiredService<VigilHostOptions>();
        var token = options.Environment(Variable);
        if (string.IsNullOrEmpty(token)) return;
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("Vigil.Security");
        if (token.Length < MinimumLength || !token.StartsWith(ApiTokens.Prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{Variable} must start with '{ApiTokens.Prefix}' and be at least {MinimumLength} characters long; generate one with `vigil token create` or `openssl rand -hex 32` prefixed with '{ApiTokens.Prefix}'.");
        }
        var store = services.GetRequiredService<TokenStore>();
        if (await store.ExistsAsync(token, ct)) return;
        var created = await store.CreateAsync("bootstrap", Role.Admin, "env:" + Variable, token, ct);
        await services.GetRequiredService<AuditLog>().RecordAsync("env:" + Variable, "token.create", created.Info.Id, null, AuditLog.Ok, new { name = "bootstrap", role = "admin" });
        log.LogInformation("Created the bootstrap admin token {Id} ({Prefix}…) from {Variable}", created.Info.Id, created.Info.Prefix, Variable);
    }
}
