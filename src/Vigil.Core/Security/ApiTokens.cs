using System.Security.Cryptography;
using System.Text;
using Vigil.Core.Workspace;

namespace Vigil.Core.Security;

/// <summary>
/// API tokens: 32 random bytes shown once as <c>vgl_…</c> (base64url), stored only as a SHA-256 hash.
/// A hash is enough (no salt or slow KDF) because the token has 256 bits of entropy: there is
/// nothing to brute-force, unlike a password.
/// </summary>
public static class ApiTokens
{
    public const string Prefix = "vgl_";

    /// <summary>How many characters of a token are kept in clear to tell tokens apart in lists.</summary>
    public const int DisplayPrefixLength = 8;

    public static string Generate()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return Prefix + Base64Url(bytes);
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Compares two hex hashes in constant time, so timing reveals nothing about a stored hash.</summary>
    public static bool HashesEqual(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    public static string DisplayPrefix(string token) => token.Length <= DisplayPrefixLength ? token : token[..DisplayPrefixLength];

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Parsing and naming of roles (<c>viewer</c> &lt; <c>responder</c> &lt; <c>admin</c>).</summary>
public static class Roles
{
    public static string Name(Role role) => role.ToString().ToLowerInvariant();

    public static bool TryParse(string? text, out Role role)
    {
        role = Role.Viewer;
        if (text is null) return false;
        foreach (var r in Enum.GetValues<Role>())
        {
            if (string.Equals(Name(r), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                role = r;
                return true;
            }
        }
        return false;
    }

    public static string All => string.Join(", ", Enum.GetValues<Role>().Select(Name));
}
