using Microsoft.AspNetCore.Diagnostics;

namespace Vigil.Web.Http;

/// <summary>Every error leaves as RFC 7807 problem details, whatever produced it.</summary>
public static class Errors
{
    public static IApplicationBuilder UseVigilErrors(this WebApplication app)
    {
        app.UseExceptionHandler(handler => handler.Run(async context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var (status, title) = error switch
            {
                // The database (or its network) is down: the request may succeed later, so 503, not 500.
                _ when IsStorageFailure(error) => (StatusCodes.Status503ServiceUnavailable, "Storage unavailable"),
                BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? "Request body too large"
                    : "Bad request"),
                _ => (StatusCodes.Status500InternalServerError, "Internal server error"),
            };
            if (status == StatusCodes.Status503ServiceUnavailable)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Vigil.Http")
                    .LogWarning("Storage unavailable on {Method} {Path}: {Error}", context.Request.Method, context.Request.Path, error!.GetType().Name);
            }
            else if (status >= 500)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Vigil.Http")
                    .LogError(error, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            }
            context.Response.StatusCode = status;
            // Exception messages can quote input or connection details: only the title goes out.
            await Problem(title, status, status == 503 ? "The database does not answer; retry shortly. /health/ready tells when it is back." : Detail(status)).ExecuteAsync(context);
        }));
        app.UseStatusCodePages(async ctx =>
        {
            var r = ctx.HttpContext.Response;
            if (r.HasStarted || r.ContentLength > 0 || r.ContentType is not null) return;
            var title = r.StatusCode switch
            {
                404 => "Not found",
                405 => "Method not allowed",
                413 => "Request body too large",
                415 => "Unsupported media type: send application/json",
                _ => "Bad request",
            };
            await Problem(title, r.StatusCode, Detail(r.StatusCode)).ExecuteAsync(ctx.HttpContext);
        });
        return app;
    }

    private static string? Detail(int status) =>
        status == StatusCodes.Status413PayloadTooLarge ? "Send a smaller body: the limit is 1 MB, and 16 KB for token requests." : null;

    private static bool IsStorageFailure(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            // A closed channel: a writer that has stopped (Vigil is shutting down) takes nothing more.
            if (e is System.Data.Common.DbException or TimeoutException or System.Threading.Channels.ChannelClosedException) return true;
        }
        return false;
    }

    public static IResult Problem(string title, int status, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(title: title, statusCode: status, detail: detail, extensions: extensions);

    public static IResult BadRequest(string detail, IDictionary<string, object?>? extensions = null) =>
        Problem("Invalid request", StatusCodes.Status400BadRequest, detail, extensions);

    public static IResult NotFound(string detail) => Problem("Not found", StatusCodes.Status404NotFound, detail);
}
