using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Vigil.Core.Security;
using Vigil.Core.Workspace;
using Vigil.Web.Http;

namespace Vigil.Web.Security;

/// <summary>Body of <c>POST /api/v1/tokens</c>.</summary>
public sealed record CreateTokenRequest(string? Name, string? Role);

/// <summary>The response to a token creation: the token itself appears here and nowhere else, ever.</summary>
public sealed record CreateTokenResponse(string Id, string Name, Role Role, string Prefix, DateTimeOffset CreatedAt, string Token);

public static class TokensApi
{
    private const int MaxNameLength = 100;

    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/tokens").WithTags("Tokens").RequireRole(Role.Admin);

        api.MapGet("/", async Task<IResult> (TokenStore tokens, int? limit, string? cursor, CancellationToken ct) =>
        {
            if (!PageRequest.TryParse(limit, cursor, out var page, out var error)) return error!;
            var (items, total, more) = await tokens.ListAsync(page.Limit, page.After, ct);
            var next = more ? PageRequest.Cursor(items[^1].Id) : null;
            return TypedResults.Ok(new Page<TokenInfo>(items, total, next));
        }).WithSummary("List API tokens (never their secret)").Produces<Page<TokenInfo>>();

        api.MapPost("/", async Task<IResult> (CreateTokenRequest body, TokenStore tokens, AuditLog audit, HttpContext http) =>
        {
            var problems = new Dictionary<string, object?>();
            var name = body.Name?.Trim();
            if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength) problems["name"] = $"give the token a name of 1 to {MaxNameLength} characters, e.g. \"ci-deploy\"";
            if (!Roles.TryParse(body.Role, out var role)) problems["role"] = $"role must be one of {Roles.All}";
            if (problems.Count > 0)
            {
                await audit.RecordAsync(http, "token.create", name, AuditLog.Failed, problems);
                return Errors.BadRequest("The token request is invalid.", new Dictionary<string, object?> { ["errors"] = problems });
            }
            var created = await tokens.CreateAsync(name!, role, AuditLog.Actor(http), ct: http.RequestAborted);
            await audit.RecordAsync(http, "token.create", created.Info.Id, AuditLog.Ok, new { name, role = Roles.Name(role) });
            var i = created.Info;
            return TypedResults.Created($"/api/v1/tokens/{i.Id}", new CreateTokenResponse(i.Id, i.Name, i.Role, i.Prefix, i.CreatedAt, created.Token));
        })
        .WithSummary("Create an API token; the response shows it once")
        .WithMetadata(new RequestSizeLimitAttribute(16 * 1024))
        .Produces<CreateTokenResponse>(StatusCodes.Status201Created)
        .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapDelete("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, TokenStore tokens, AuditLog audit, HttpContext http) =>
        {
            if (!await tokens.RevokeAsync(id, http.RequestAborted))
            {
                await audit.RecordAsync(http, "token.revoke", id, AuditLog.Failed, new { reason = "no such token" });
                return TypedResults.Problem(title: "Not found", statusCode: 404, detail: $"There is no token '{id}'.");
            }
            await audit.RecordAsync(http, "token.revoke", id, AuditLog.Ok);
            return TypedResults.NoContent();
        }).WithSummary("Revoke an API token; it stops working at once");

        return app;
    }
}
