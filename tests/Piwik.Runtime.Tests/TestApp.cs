// The runtime tests' app is the shared Kestrel harness (tests/Piwik.Testing/KestrelTestApp.cs).
global using TestApp = Piwik.Testing.KestrelTestApp;
