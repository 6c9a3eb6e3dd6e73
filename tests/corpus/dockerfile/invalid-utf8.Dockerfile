FROM a
XYZZYQ café
LABEL name=café
