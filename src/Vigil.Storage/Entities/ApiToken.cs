namespace Vigil.Storage;

/// <summary>
/// An API token. Only the SHA-256 hash of the secret is stored, so a database leak does not leak working tokens.
/// </summary>
public sealed class ApiToken
{
    /// <summary>Stable identifier, e.g. <c>tok_</c> followed by random characters; safe to show and log.</summary>
    public required string Id { get; set; }

    public required string Name { get; set; }

    /// <summary><c>viewer</c>, <c>responder</c> or <c>admin</c>.</summary>
    public required string Role { get; set; }

    /// <summary>Lower-case hex SHA-256 of the whole token; unique, it is how a presented token is found.</summary>
    public required string TokenHash { get; set; }

    /// <summary>The first 8 characters of the token (e.g. <c>vgl_AbCd</c>), so users can tell their tokens apart.</summary>
    public required string Prefix { get; set; }

    /// <summary>The workspace user the token acts for; null for automation tokens.</summary>
    public string? UserId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
