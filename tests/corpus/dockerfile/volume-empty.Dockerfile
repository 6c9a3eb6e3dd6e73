FROM a
VOLUME ["/data", ""]
