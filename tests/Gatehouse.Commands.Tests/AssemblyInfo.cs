// The exec backend is Linux-only (posix_spawn, pidfd, /proc); so are these tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
