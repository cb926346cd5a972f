using System.Runtime.InteropServices;

namespace Piwik.Spool;

/// <summary>
/// Makes a directory's entries durable (<c>fsync</c> on the directory), so a segment file created just before a crash
/// is still there after it: on Linux and macOS, <c>fsync</c> on a file makes its data durable but not its name. .NET
/// has no API for it (it refuses to open a directory as a file), hence the two system calls. Windows (NTFS journals its
/// metadata) and other systems need nothing.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY on Linux and macOS

    /// <summary>Flushes the directory's entries to disk; returns the <c>errno</c> of a failure, or 0.</summary>
    public static int Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return 0;
        }

        try
        {
            var fd = Open(directory, ReadOnly);
            if (fd < 0)
            {
                return Marshal.GetLastPInvokeError();
            }

            try
            {
                return Sync(fd) == 0 ? 0 : Marshal.GetLastPInvokeError();
            }
            finally
            {
                _ = Close(fd);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return -1; // a libc without these names: the spool still works, without this guarantee
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Sync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
