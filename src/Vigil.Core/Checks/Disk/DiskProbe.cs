using System.Globalization;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// <c>disk</c>: percent used of the filesystem holding <c>path</c>, as <c>df</c> counts it — used / (used + available
/// to unprivileged users), so the root-reserved blocks count as neither — → <c>[VALUE]</c>.
/// </summary>
public sealed class DiskProbe : ICheckProbe
{
    public CheckKind Kind => CheckKind.Disk;

    public Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        if (!ProbeSupport.TryGetSpec<DiskCheckSpec>(check, out var spec, out var invalid)) return Task.FromResult(invalid!);
        var observation = new Observation();
        var start = ProbeSupport.Start();
        var path = ProbeSupport.ResolvePath(context, spec.Path);
        try
        {
            if (!Directory.Exists(path) && !System.IO.File.Exists(path))
            {
                observation.Error = "path does not exist: " + path;
                return Task.FromResult(observation);
            }
            // On Unix DriveInfo asks statvfs about the very path given: any path on the filesystem works.
            var drive = new DriveInfo(Directory.Exists(path) ? path : Path.GetDirectoryName(path)!);
            var total = drive.TotalSize;
            var free = drive.TotalFreeSpace;          // f_bfree: includes blocks reserved for root
            var available = drive.AvailableFreeSpace; // f_bavail: what users may still write
            var used = total - free;
            observation.Connected = true;
            if (used + available <= 0)
            {
                observation.Error = "the filesystem reports no size";
                return Task.FromResult(observation);
            }
            var percent = Math.Ceiling(used * 10000.0 / (used + available)) / 100;
            observation.Value = percent;
            observation.Body = percent.ToString("0.##", CultureInfo.InvariantCulture);
            observation.Facts.Add($"{path}: {percent.ToString("0.##", CultureInfo.InvariantCulture)}% used");
            observation.Facts.Add($"size {ProbeSupport.FormatBytes(total)}, used {ProbeSupport.FormatBytes(used)}, available {ProbeSupport.FormatBytes(available)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            observation.Error = ProbeSupport.Describe(e);
        }
        observation.ResponseTime = ProbeSupport.Since(start);
        return Task.FromResult(observation);
    }
}
