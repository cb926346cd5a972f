using Microsoft.Win32.SafeHandles;

namespace Piwik.Spool;

/// <summary>
/// Creates the spool's directory and files readable by the app's own user only (0700 and 0600 on Linux and macOS):
/// they hold visitor data. The mode is given at creation, never changed after it, so no other user can open a file in
/// the moment between the two. Windows files inherit the directory's ACL.
/// </summary>
internal static class OwnerOnly
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the directory (and missing parents) owner-only; an existing one is left as it is.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, DirectoryMode);
        }
    }

    /// <summary>Opens a file for writing, created owner-only when it does not exist (<see cref="System.IO.FileMode.CreateNew"/> fails when it does).</summary>
    public static SafeFileHandle OpenForWrite(string path, System.IO.FileMode mode, FileShare share)
    {
        if (OperatingSystem.IsWindows())
        {
            return File.OpenHandle(path, mode, FileAccess.Write, share);
        }

        // FileStreamOptions is the one API that takes the mode at creation; the spool works on handles, so the file is
        // created through it and opened again (once per segment, not per batch).
        try
        {
            using var created = new FileStream(path, new FileStreamOptions
            {
                Mode = System.IO.FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = share,
                UnixCreateMode = FileMode,
            });
        }
        catch (IOException) when (mode != System.IO.FileMode.CreateNew)
        {
            // Already there (an acknowledgement file written by an earlier process): opened as it is below, which
            // reports what is wrong with it, if anything (another user's file, a directory).
        }

        return File.OpenHandle(path, System.IO.FileMode.Open, FileAccess.Write, share);
    }
}
