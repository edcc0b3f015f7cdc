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
                error = Errors.BadRequest("cursor is not one this server issued; pass next_cursor from the previous page unchanged.");
                return false;
            }
        }
        page = new PageRequest(limit ?? DefaultLimit, after);
        return true;
    }

    public static string Cursor(string key) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(key)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Pages an in-memory list ordered by <paramref name="key"/>.</summary>
    public Page<T> Apply<T>(IReadOnlyList<T> ordered, Func<T, string> key)
    {
        var after = After;
        var start = after is null ? 0 : ordered.Select(key).ToList().IndexOf(after) + 1;
        var items = ordered.Skip(start).Take(Limit).ToList();
        var more = start + items.Count < ordered.Count;
        return new Page<T>(items, ordered.Count, more && items.Count > 0 ? Cursor(key(items[^1])) : null);
    }
}
