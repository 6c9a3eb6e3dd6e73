FROM a
COPY --chown=1 --chown=2 a b
