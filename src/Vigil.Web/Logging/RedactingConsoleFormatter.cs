using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Vigil.Core.Workspace;

namespace Vigil.Web.Logging;

/// <summary>
/// The console log format: one line per event (an exception's stack follows on its own lines), with every known secret masked, whatever logged it
/// (our code, ASP.NET, a database driver's exception). Redaction happens here, at the last step,
/// so no code path can forget it.
/// </summary>
public sealed class RedactingConsoleFormatter(WorkspaceState workspace, TimeProvider time) : ConsoleFormatter(Name)
{
    public new const string Name = "vigil";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null) return;
        var level = logEntry.LogLevel switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            LogLevel.Critical => "crit",
            _ => "none",
        };
        var line = $"{time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ} {level} {logEntry.Category}: {message}";
        if (logEntry.Exception is not null) line += Environment.NewLine + logEntry.Exception;
        textWriter.WriteLine(workspace.Redact(line));
    }
}
