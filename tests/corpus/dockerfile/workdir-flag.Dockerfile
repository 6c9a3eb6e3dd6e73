FROM a
WORKDIR --mode=0755 /app
