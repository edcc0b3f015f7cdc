using System.Globalization;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// <c>file</c>: the newest file (by modification time) matching a glob — absolute or relative to the workspace, with
/// <c>*</c> and <c>?</c> within a name and <c>**</c> for any number of directories. Its age in seconds →
/// <c>[VALUE]</c>; no match, an age over <c>max_age</c> or a size under <c>min_size</c> is a built-in failure.
/// </summary>
public sealed class FileProbe : ICheckProbe
{
    private static readonly EnumerationOptions Enumeration = new()
    {
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        RecurseSubdirectories = false,
        MatchType = MatchType.Simple,
        ReturnSpecialDirectories = false,
    };

    public CheckKind Kind => CheckKind.File;

    public Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        if (!ProbeSupport.TryGetSpec<FileCheckSpec>(check, out var spec, out var invalid)) return Task.FromResult(invalid!);
        var observation = new Observation();
        var start = ProbeSupport.Start();
        try
        {
            var pattern = ProbeSupport.ResolvePath(context, spec.Glob);
            var newest = FindNewest(pattern, ct);
            observation.ResponseTime = ProbeSupport.Since(start);
            if (newest is null)
            {
                observation.BuiltInFailures.Add("no file matches " + spec.Glob);
                return Task.FromResult(observation);
            }
            observation.Connected = true;
            var modified = new DateTimeOffset(newest.LastWriteTimeUtc, TimeSpan.Zero);
            var age = context.Time.GetUtcNow() - modified;
            observation.Value = Math.Round(age.TotalSeconds, 3);
            observation.Body = newest.FullName;
            observation.Facts.Add("newest match: " + newest.FullName);
            observation.Facts.Add($"size: {ProbeSupport.FormatBytes(newest.Length)} ({newest.Length.ToString(CultureInfo.InvariantCulture)} bytes)");
            observation.Facts.Add($"age: {FormatAge(age)} (modified {modified.ToString("u", CultureInfo.InvariantCulture)})");
            if (spec.MaxAge is { } maxAge && age > maxAge)
            {
                observation.BuiltInFailures.Add($"newest file is {FormatAge(age)} old, more than max_age {FormatAge(maxAge)}");
            }
            if (spec.MinSize is { } minSize && newest.Length < minSize)
            {
                observation.BuiltInFailures.Add($"newest file has {newest.Length} bytes, less than min_size {minSize}");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            observation.Error = ProbeSupport.TimedOut(check);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            observation.Error = ProbeSupport.Describe(e);
        }
        observation.ResponseTime = ProbeSupport.Since(start);
        return Task.FromResult(observation);
    }

    private static string FormatAge(TimeSpan age)
    {
        if (age < TimeSpan.Zero) return "in the future by " + FormatAge(-age);
        if (age.TotalSeconds < 120) return age.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + "s";
        if (age.TotalMinutes < 120) return age.TotalMinutes.ToString("0", CultureInfo.InvariantCulture) + "m";
        if (age.TotalHours < 48) return age.TotalHours.ToString("0.#", CultureInfo.InvariantCulture) + "h";
        return age.TotalDays.ToString("0.#", CultureInfo.InvariantCulture) + "d";
    }

    /// <summary>The newest file matching an absolute glob, or null.</summary>
    internal static FileInfo? FindNewest(string pattern, CancellationToken ct)
    {
        var root = Path.GetPathRoot(pattern) ?? "/";
        var segments = pattern[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        // Start from the longest prefix without wildcards.
        var first = 0;
        var baseDir = root;
        while (first < segments.Length - 1 && !HasWildcard(segments[first]))
        {
            baseDir = Path.Combine(baseDir, segments[first]);
            first++;
        }
        FileInfo? newest = null;
        if (!Directory.Exists(baseDir)) return null;
        Walk(baseDir, segments, first, ref newest, ct);
        return newest;
    }

    private static bool HasWildcard(string segment) => segment.AsSpan().IndexOfAny('*', '?') >= 0;

    private static void Walk(string directory, string[] segments, int index, ref FileInfo? newest, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var segment = segments[index];
        var last = index == segments.Length - 1;
        if (segment == "**")
        {
            if (last)
            {
                // A trailing ** matches every file below.
                foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", new EnumerationOptions { IgnoreInaccessible = true, RecurseSubdirectories = true, AttributesToSkip = 0 }))
                {
                    Consider(file, ref newest);
                }
                return;
            }
            // Zero directories, then one or more.
            Walk(directory, segments, index + 1, ref newest, ct);
            foreach (var sub in Directory.EnumerateDirectories(directory, "*", Enumeration))
            {
                Walk(sub, segments, index, ref newest, ct);
            }
            return;
        }
        if (last)
        {
            if (!HasWildcard(segment))
            {
                var file = new FileInfo(Path.Combine(directory, segment));
                if (file.Exists) Consider(file, ref newest);
                return;
            }
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles(segment, Enumeration))
            {
                Consider(file, ref newest);
            }
            return;
        }
        if (!HasWildcard(segment))
        {
            var next = Path.Combine(directory, segment);
            if (Directory.Exists(next)) Walk(next, segments, index + 1, ref newest, ct);
            return;
        }
        foreach (var sub in Directory.EnumerateDirectories(directory, segment, Enumeration))
        {
            Walk(sub, segments, index + 1, ref newest, ct);
        }
    }

    private static void Consider(FileInfo file, ref FileInfo? newest)
    {
        if (newest is null || file.LastWriteTimeUtc > newest.LastWriteTimeUtc) newest = file;
    }
}
