FROM a
HEALTHCHECK --interval=5s curl -f http://localhost/
