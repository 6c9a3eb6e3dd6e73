FROM a
COPY --link=yes a b
