FROM debian:bookworm
XYZZYQ plugh
