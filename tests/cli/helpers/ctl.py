#!/usr/bin/env python3
"""Talk to a supervisor's control socket as a hostile client would.

ctl.py SOCKET send TEXT     send TEXT as it is (\\n escapes; add the newline yourself), print every reply line
ctl.py SOCKET huge N        send N bytes of 'x' without a newline, print the reply
ctl.py SOCKET half TEXT     send TEXT (no newline), close our sending side, print the reply
ctl.py SOCKET stall TEXT    send TEXT (no newline), keep the connection open, print the reply
ctl.py SOCKET trickle TEXT  send TEXT one byte a second (no newline), print the reply
ctl.py SOCKET many N        hold N connections open at once, then send ps on the last; print its reply
ctl.py SOCKET deaf N        send N ps requests and read no reply; print "cut off" if the supervisor
                            closed the connection on the way, else "all sent"
Exit 0 once a reply line was read (1 if the connection ended without one).
The path may be longer than sun_path: it is reached through its directory's fd.
"""
import os
import socket
import sys


def connect(path):
    d = os.open(os.path.dirname(path), os.O_PATH | os.O_DIRECTORY)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/proc/self/fd/%d/%s" % (d, os.path.basename(path)))
    s.settimeout(30)
    os.close(d)
    return s


def read(s, until_line):
    """What arrives until the end of the connection (or of the first line)."""
    buf = b""
    while not (until_line and b"\n" in buf):
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        buf += chunk
    return buf


def read_line(s):
    buf = read(s, True)
    return buf.split(b"\n")[0].decode() if b"\n" in buf else None


def main():
    path, mode = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else ""
    if mode == "many":
        conns = [connect(path) for _ in range(int(arg))]
        s = connect(path)
        try:
            s.sendall(b'{"cmd":"ps"}\n')
        except (BrokenPipeError, ConnectionResetError):
            pass
        line = read_line(s)
        for c in conns:
            c.close()
        print(line)
        return 0 if line else 1
    s = connect(path)
    if mode == "send":
        text = arg.encode().decode("unicode_escape").encode("latin-1")
        s.sendall(text)
        s.shutdown(socket.SHUT_WR)
        # every reply, until the supervisor closes the connection
        lines = [l.decode() for l in read(s, False).split(b"\n") if l]
        for l in lines:
            print(l)
        return 0 if lines else 1
    if mode == "deaf":
        batch = b'{"cmd":"ps"}\n' * 1000
        try:
            for _ in range(int(arg) // 1000):
                s.sendall(batch)
        except (BrokenPipeError, ConnectionResetError):
            print("cut off")
            return 0
        print("all sent")
        return 0
    if mode == "huge":
        try:
            s.sendall(b"x" * int(arg))
        except (BrokenPipeError, ConnectionResetError):
            pass
    elif mode == "half":
        s.sendall(arg.encode())
        s.shutdown(socket.SHUT_WR)
    elif mode == "stall":
        s.sendall(arg.encode())
    elif mode == "trickle":
        import time
        for b in arg.encode():
            try:
                s.sendall(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(1)
    line = read_line(s)
    print(line)
    return 0 if line else 1


sys.exit(main())
