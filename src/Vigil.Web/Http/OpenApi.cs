using Microsoft.OpenApi;
using Scalar.AspNetCore;
using Vigil.Web.Health;

namespace Vigil.Web.Http;

/// <summary>The OpenAPI document at <c>/openapi/v1.json</c> and its reference UI at <c>/docs</c> (served locally, no CDN).</summary>
public static class OpenApi
{
    public static IServiceCollection AddVigilOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info = new OpenApiInfo
            {
                Title = "Vigil API",
                Version = HealthApi.Version,
                Description = "Every /api/v1 endpoint needs `Authorization: Bearer <token>`. Errors are RFC 7807 problem details.",
            };
            doc.Components ??= new OpenApiComponents();
            doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            doc.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API token (vgl_…) from `vigil token create` or POST /api/v1/tokens.",
            };
            doc.Security ??= [];
            doc.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", doc)] = [] });
            return Task.CompletedTask;
        }));

    public static WebApplication MapVigilOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Vigil API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }
}
