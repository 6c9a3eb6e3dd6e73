#!/usr/bin/python3
"""Drive a command through a real terminal, the way a person at a keyboard would.

    pty_session.py [--expect TEXT --send LINE]... -- COMMAND [ARGS...]

Runs COMMAND on a new pty, waits until TEXT appears in what it printed
before typing each LINE (no fixed sleeps: a slow machine only waits
longer), then reads until the command exits.  Prints everything the
terminal showed, then `rc=N`.  Exits 1 if a TEXT does not show within
--timeout seconds (default 60), with what was seen.
"""
import os
import pty
import select
import sys
import time


def main():
    args = sys.argv[1:]
    steps, timeout = [], 60.0
    while args and args[0] != "--":
        if args[0] == "--expect" and len(args) >= 4 and args[2] == "--send":
            steps.append((args[1].encode(), args[3].encode() + b"\n"))
            args = args[4:]
        elif args[0] == "--timeout":
            timeout = float(args[1])
            args = args[2:]
        else:
            sys.exit(__doc__)
    command = args[1:]
    if not command:
        sys.exit(__doc__)

    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)

    seen = b""
    deadline = time.monotonic() + timeout

    def read_some():
        nonlocal seen
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return False
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the command closed the terminal
            return False
        seen += data
        return bool(data)

    for expect, line in steps:
        while expect not in seen:
            if not read_some():
                sys.stdout.write(seen.decode(errors="replace"))
                print(f"\npty_session: `{expect.decode()}` did not show", file=sys.stderr)
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                sys.exit(1)
        os.write(fd, line)
    while read_some():
        pass
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode(errors="replace").replace("\r", ""))
    print(f"\nrc={os.waitstatus_to_exitcode(status)}")


main()
