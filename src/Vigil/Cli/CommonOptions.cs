using System.CommandLine;
using Vigil.Web.Hosting;

namespace Vigil.Cli;

/// <summary>Options shared by the verbs that open a server or its database.</summary>
internal static class CommonOptions
{
    public const string DatabaseVariable = "VIGIL_DATABASE";

    public static Option<string> Urls() => new("--urls")
    {
        Description = $"Where to listen (default {VigilHostOptions.DefaultUrl}). Several URLs are separated by ';'.",
        DefaultValueFactory = _ => VigilHostOptions.DefaultUrl,
    };

    public static Option<string?> Data() => new("--data")
    {
        Description = "Data folder for the SQLite database (default: WORKSPACE/.vigil/).",
    };

    public static Option<string?> Database() => new("--database")
    {
        Description = $"PostgreSQL: a postgres://user:pass@host:port/db URL or an Npgsql connection string. Default: ${DatabaseVariable}, else SQLite.",
    };

    public static string? ResolveDatabase(string? option) =>
        string.IsNullOrWhiteSpace(option) ? Environment.GetEnvironmentVariable(DatabaseVariable) : option;
}
