using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using Vigil.Web.Health;

namespace Vigil.Web.Http;

/// <summary>The OpenAPI document at <c>/openapi/v1.json</c> and its reference UI at <c>/docs</c> (served locally, no CDN).</summary>
public static class OpenApi
{
    private const string SchemeId = "bearer";

    public static IServiceCollection AddVigilOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info = new OpenApiInfo
                {
                    Title = "Vigil API",
                    Version = HealthApi.Version,
                    Description = "Every /api/v1 endpoint needs `Authorization: Bearer <token>`. Errors are RFC 7807 problem details.",
                };
                doc.Components ??= new OpenApiComponents();
                doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                doc.Components.SecuritySchemes[SchemeId] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API token (vgl_…) from `vigil token create` or POST /api/v1/tokens.",
                };
                return Task.CompletedTask;
            });
            // Security and the 401/403 answers belong to the operations that need a token, not to /health.
            o.AddOperationTransformer((operation, context, _) =>
            {
                var policy = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().FirstOrDefault()?.Policy;
                if (policy is null) return Task.CompletedTask;
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeId, context.Document)] = [] });
                operation.Responses ??= [];
                operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No valid token (problem details)" });
                operation.Responses.TryAdd("403", new OpenApiResponse { Description = $"The token's role is below {policy} (problem details)" });
                operation.Description = $"Needs the {policy} role or higher.";
                return Task.CompletedTask;
            });
        });

    public static WebApplication MapVigilOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Vigil API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }
}
