using Microsoft.EntityFrameworkCore;
using Vigil.Core.Security;
using Vigil.Core.Workspace;
using Vigil.Storage;

namespace Vigil.Web.Security;

/// <summary>A token as shown to people: never its secret, never its hash.</summary>
public sealed record TokenInfo(string Id, string Name, Role Role, string Prefix, string? UserId, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A newly created token: the only time its secret is ever available.</summary>
public sealed record CreatedToken(TokenInfo Info, string Token);

/// <summary>The identity behind a valid token.</summary>
public sealed record TokenIdentity(string Id, string Name, Role Role);

/// <summary>Creates, lists, revokes and checks API tokens. Only SHA-256 hashes are stored.</summary>
public sealed class TokenStore(IDbContextFactory<VigilDbContext> db, TimeProvider time)
{
    // last_used_at is a hint for people, not an audit trail: write it at most once a minute per token.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<CreatedToken> CreateAsync(string name, Role role, string createdBy, string? token = null, CancellationToken ct = default)
    {
        token ??= ApiTokens.Generate();
        var row = new ApiToken
        {
            Id = "tok_" + ApiTokens.Generate()[ApiTokens.Prefix.Length..][..12],
            Name = name,
            Role = Roles.Name(role),
            TokenHash = ApiTokens.Hash(token),
            Prefix = ApiTokens.DisplayPrefix(token),
            // Stored with millisecond precision (SQLite keeps Unix milliseconds): answer with what is stored.
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds()),
            CreatedBy = createdBy,
        };
        await using var ctx = await db.CreateDbContextAsync(ct);
        ctx.ApiTokens.Add(row);
        await ctx.SaveChangesAsync(ct);
        return new CreatedToken(ToInfo(row), token);
    }

    public async Task<bool> ExistsAsync(string token, CancellationToken ct = default)
    {
        var hash = ApiTokens.Hash(token);
        await using var ctx = await db.CreateDbContextAsync(ct);
        return await ctx.ApiTokens.AnyAsync(t => t.TokenHash == hash, ct);
    }

    /// <summary>The identity of a presented token, or null when it is unknown or revoked.</summary>
    public async Task<(TokenIdentity? Identity, string? Reason)> ValidateAsync(string token, CancellationToken ct = default)
    {
        if (!token.StartsWith(ApiTokens.Prefix, StringComparison.Ordinal) || token.Length > 200) return (null, "malformed token");
        var hash = ApiTokens.Hash(token);
        await using var ctx = await db.CreateDbContextAsync(ct);
        var row = await ctx.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        if (row is null || !ApiTokens.HashesEqual(row.TokenHash, hash)) return (null, "unknown token");
        if (row.RevokedAt is not null) return (null, "revoked token");
        if (!Roles.TryParse(row.Role, out var role)) return (null, "token has an unknown role");
        var now = time.GetUtcNow();
        if (row.LastUsedAt is null || now - row.LastUsedAt > LastUsedResolution)
        {
            await ctx.ApiTokens.Where(t => t.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), ct);
        }
        return (new TokenIdentity(row.Id, row.Name, role), null);
    }

    /// <summary>A page of tokens ordered by id; <c>More</c> tells whether more follow.</summary>
    public async Task<(IReadOnlyList<TokenInfo> Items, int Total, bool More)> ListAsync(int limit, string? afterId, CancellationToken ct = default)
    {
        await using var ctx = await db.CreateDbContextAsync(ct);
        var total = await ctx.ApiTokens.CountAsync(ct);
        var q = ctx.ApiTokens.AsNoTracking().OrderBy(t => t.Id).AsQueryable();
        if (afterId is not null) q = q.Where(t => t.Id.CompareTo(afterId) > 0);
        var rows = await q.Take(limit == int.MaxValue ? limit : limit + 1).ToListAsync(ct);
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(limit);
        return ([.. rows.Select(ToInfo)], total, more);
    }

    public async Task<TokenInfo?> FindAsync(string id, CancellationToken ct = default)
    {
        await using var ctx = await db.CreateDbContextAsync(ct);
        var row = await ctx.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, ct);
        return row is null ? null : ToInfo(row);
    }

    /// <summary>Revokes a token; it stops working on the next request. Returns false when there is no such token.</summary>
    public async Task<bool> RevokeAsync(string id, CancellationToken ct = default)
    {
        await using var ctx = await db.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        var found = await ctx.ApiTokens.AnyAsync(t => t.Id == id, ct);
        if (!found) return false;
        await ctx.ApiTokens.Where(t => t.Id == id && t.RevokedAt == null).ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        return true;
    }

    private static TokenInfo ToInfo(ApiToken t) =>
        new(t.Id, t.Name, Roles.TryParse(t.Role, out var r) ? r : Role.Viewer, t.Prefix, t.UserId, t.CreatedAt, t.CreatedBy, t.LastUsedAt, t.RevokedAt);
}
