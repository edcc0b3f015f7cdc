using System.Text;

namespace Vigil.Web.Http;

/// <summary>The shape of every list response: <c>{ "items": [...], "total": N, "next_cursor": … }</c>.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total, string? NextCursor);

/// <summary>
/// <c>?limit=&amp;cursor=</c>. A cursor is opaque to clients: the sort key of the last item seen,
/// so pages stay stable while rows are added (unlike offsets).
/// </summary>
public readonly record struct PageRequest(int Limit, string? After)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public static bool TryParse(int? limit, string? cursor, out PageRequest page, out IResult? error)
    {
        page = default;
        error = null;
        if (limit is < 1 or > MaxLimit)
        {
            error = Errors.BadRequest($"limit must be between 1 and {MaxLimit}.");
            return false;
        }
        string? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            try
            {
                var padded = cursor.Replace('-', '+').Replace('_', '/');
                padded += new string('=', (4 - (padded.Length % 4)) % 4);
                after = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            }
            catch (FormatException)
            {
                error = Errors.BadRequest(NotIssued);
                return false;
            }
        }
        page = new PageRequest(limit ?? DefaultLimit, after);
        return true;
    }

    /// <summary>The cursor as the numeric id of the last item seen, for lists keyed by a database id; null on the first page.</summary>
    public bool TryAfterId(out long? afterId, out IResult? error)
    {
        afterId = null;
        error = null;
        if (After is null) return true;
        if (long.TryParse(After, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
        {
            afterId = id;
            return true;
        }
        error = Errors.BadRequest(NotIssued);
        return false;
    }

    private const string NotIssued = "cursor is not one this server issued; pass next_cursor from the previous page unchanged.";

    public static string Cursor(string key) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(key)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Pages an in-memory list ordered by <paramref name="key"/>. A cursor whose item has gone (a reload
    /// removed it) is an error rather than a silent restart from the first page.
    /// </summary>
    public IResult Apply<T>(IReadOnlyList<T> ordered, Func<T, string> key)
    {
        var start = 0;
        if (After is not null)
        {
            var index = ordered.Select(key).ToList().IndexOf(After);
            if (index < 0) return Errors.BadRequest("The item this cursor points after no longer exists (the workspace was reloaded); list again from the first page.");
            start = index + 1;
        }
        var items = ordered.Skip(start).Take(Limit).ToList();
        var more = start + items.Count < ordered.Count;
        return TypedResults.Ok(new Page<T>(items, ordered.Count, more ? Cursor(key(items[^1])) : null));
    }
}
