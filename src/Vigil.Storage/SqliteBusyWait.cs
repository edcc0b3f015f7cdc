using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Vigil.Storage;

/// <summary>
/// How a connection waits for another's write lock: it looks again every millisecond, for up to
/// <see cref="TimeoutMilliseconds"/>, instead of SQLite's own <c>busy_timeout</c> schedule, which sleeps 1, 2, 5 … then
/// 25, 50 and 100 ms at a time. Under a stream of short write transactions (the writers' batches, the outbox's outcomes,
/// pings) a waiter on that schedule was measured losing the lock to the next batch again and again, for over a second;
/// polling every millisecond it takes the lock within about a millisecond of its release.
/// </summary>
internal static class SqliteBusyWait
{
    /// <summary>How long one attempt waits for the write lock before SQLite reports SQLITE_BUSY (on which
    /// Microsoft.Data.Sqlite tries again, until the command's timeout).</summary>
    public const int TimeoutMilliseconds = 5000;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int BusyHandler(IntPtr state, int count);

    // Kept in a static field: native code holds a pointer to it for every connection's life.
    private static readonly BusyHandler Handler = Wait;
    private static readonly IntPtr HandlerPointer = Marshal.GetFunctionPointerForDelegate(Handler);

    [ThreadStatic]
    private static long waitingSince;

    /// <summary>Installs the wait on an open connection (it replaces any <c>busy_timeout</c>).</summary>
    public static void Install(SqliteConnection connection)
    {
        var handle = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        var rc = sqlite3_busy_handler(handle.DangerousGetHandle(), HandlerPointer, IntPtr.Zero);
        if (rc != 0) throw new InvalidOperationException($"SQLite refused the busy handler (error {rc}).");
    }

    /// <summary>Called by SQLite while the lock is held elsewhere: 1 = try again, 0 = give up (SQLITE_BUSY).</summary>
    private static int Wait(IntPtr state, int count)
    {
        // count is 0 on the first call of each wait: SQLite calls the handler on the waiting thread, so the start is per thread.
        if (count == 0) waitingSince = Stopwatch.GetTimestamp();
        else if (Stopwatch.GetElapsedTime(waitingSince).TotalMilliseconds >= TimeoutMilliseconds) return 0;
        Thread.Sleep(1);
        return 1;
    }

    // The library SQLitePCLRaw's e_sqlite3 provider loads (the bundle's libe_sqlite3).
    [DllImport("e_sqlite3", CallingConvention = CallingConvention.Cdecl)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int sqlite3_busy_handler(IntPtr db, IntPtr handler, IntPtr state);
}
