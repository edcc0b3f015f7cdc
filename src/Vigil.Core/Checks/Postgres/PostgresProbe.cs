using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// <c>postgres</c>: logs in and runs <c>select 1</c> or the given query. <c>[CONNECTED]</c> once logged in; the
/// first column of the first row → <c>[BODY]</c> as text and <c>[VALUE]</c> when numeric. Neither the connection
/// string nor its password ever appears in a message.
/// </summary>
public sealed class PostgresProbe : ICheckProbe
{
    public CheckKind Kind => CheckKind.Postgres;

    public async Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        if (!ProbeSupport.TryGetSpec<PostgresCheckSpec>(check, out var spec, out var invalid)) return invalid!;
        var observation = new Observation();
        var connectionString = PostgresConnection.Build(spec.Connection, check.Timeout, out var error);
        if (connectionString is null)
        {
            observation.Error = error;
            return observation;
        }
        var start = ProbeSupport.Start();
        var query = string.IsNullOrWhiteSpace(spec.Query) ? "select 1" : spec.Query;
        var (connected, value, hasRow, failure) = await PostgresConnection.ScalarAsync(connectionString, query, check, ct);
        observation.ResponseTime = ProbeSupport.Since(start);
        observation.Connected = connected;
        observation.Error = failure;
        if (failure is null)
        {
            observation.Body = ProbeSupport.AsText(value);
            observation.Value = ProbeSupport.AsNumber(value);
            observation.Facts.Add(hasRow
                ? $"query returned {observation.Body ?? "NULL"} in {ProbeSupport.FormatDuration(observation.ResponseTime)}"
                : "query returned no rows");
        }
        return observation;
    }
}
