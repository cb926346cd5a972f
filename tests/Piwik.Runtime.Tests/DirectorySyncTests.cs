using Piwik.Spool;

namespace Piwik.Runtime.Tests;

/// <summary>The directory fsync the spool does after creating a segment file: the system calls really run.</summary>
public sealed class DirectorySyncTests
{
    [Fact]
    public void Flushes_an_existing_directory_and_reports_the_error_of_a_missing_one()
    {
        var directory = Directory.CreateTempSubdirectory("piwik-dirsync-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "000000000001.spool"), "x");
            Assert.Equal(0, DirectorySync.Flush(directory));

            var missing = DirectorySync.Flush(Path.Combine(directory, "no-such-directory"));
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            {
                Assert.Equal(2, missing); // ENOENT: open(2) really ran
            }
            else
            {
                Assert.Equal(0, missing); // nothing to do on this system
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
