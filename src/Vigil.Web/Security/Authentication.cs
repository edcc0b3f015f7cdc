using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Vigil.Core.Security;
using Vigil.Core.Workspace;
using Vigil.Web.Http;

namespace Vigil.Web.Security;

/// <summary>Authorization policies, one per role; a higher role satisfies every lower one.</summary>
public static class Policies
{
    public const string Viewer = "viewer";
    public const string Responder = "responder";
    public const string Admin = "admin";

    public const string RoleClaim = "vigil:role";

    public static Role? RoleOf(ClaimsPrincipal user) =>
        Roles.TryParse(user.FindFirstValue(RoleClaim), out var r) && user.Identity?.IsAuthenticated == true ? r : null;

    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, Role role) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Roles.Name(role));
}

/// <summary>
/// <c>Authorization: Bearer vgl_…</c>. Answers 401/403 as problem details and records every denial
/// in the audit log, so probing the API leaves a trace.
/// </summary>
public sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenStore tokens,
    AuditLog audit) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    private const string FailureKey = "vigil:auth-failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        string token;
        if (!string.IsNullOrEmpty(header))
        {
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Fail("the Authorization header is not 'Bearer <token>'");
            token = header["Bearer ".Length..].Trim();
        }
        else if (IsCalendarFeed(Request) && Request.Query["token"].ToString() is { Length: > 0 } query)
        {
            // Calendar apps subscribe to a URL and cannot send a header: the iCalendar feeds (read-only) also take
            // the token as ?token=. Use a viewer token made for it.
            token = query;
        }
        else
        {
            return AuthenticateResult.NoResult();
        }
        var (identity, reason) = await tokens.ValidateAsync(token, Context.RequestAborted);
        if (identity is null) return Fail(reason ?? "invalid token");
        var claims = new[]
        {
            new Claim(ClaimTypes.NameIdentifier, identity.Id),
            new Claim(ClaimTypes.Name, identity.Name),
            new Claim(Policies.RoleClaim, Roles.Name(identity.Role)),
        };
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[FailureKey] = reason;
        return AuthenticateResult.Fail(reason);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var reason = Context.Items[FailureKey] as string ?? "no token";
        await audit.RecordAsync(Context, "auth.denied", Target(), AuditLog.Denied, new { status = 401, reason });
        Response.Headers.WWWAuthenticate = "Bearer";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await Errors.Problem("Unauthorized", 401, $"A valid API token is required ({reason}). Send 'Authorization: Bearer vgl_…'; create one with `vigil token create`.")
            .ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var role = Policies.RoleOf(Context.User);
        var needed = Context.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>()?.Policy;
        await audit.RecordAsync(Context, "auth.denied", Target(), AuditLog.Denied, new { status = 403, role = role is null ? null : Roles.Name(role.Value), needed });
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Errors.Problem("Forbidden", 403, $"This needs the {needed ?? "a higher"} role; the token's role is {(role is null ? "unknown" : Roles.Name(role.Value))}.")
            .ExecuteAsync(Context);
    }

    private string Target() => $"{Request.Method} {Request.Path}";

    /// <summary>The read-only iCalendar feeds, the only places a token may come in the query string.</summary>
    internal static bool IsCalendarFeed(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Path.StartsWithSegments("/api/v1", StringComparison.Ordinal)
        && request.Path.Value!.EndsWith(".ics", StringComparison.Ordinal);
}

public static class SecurityServices
{
    public static IServiceCollection AddVigilSecurity(this IServiceCollection services)
    {
        services.AddSingleton<TokenStore>();
        services.AddSingleton<AuditLog>();
        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Viewer, p => p.RequireAssertion(c => Policies.RoleOf(c.User) >= Role.Viewer))
            .AddPolicy(Policies.Responder, p => p.RequireAssertion(c => Policies.RoleOf(c.User) >= Role.Responder))
            .AddPolicy(Policies.Admin, p => p.RequireAssertion(c => Policies.RoleOf(c.User) >= Role.Admin));
        return services;
    }
}
