FROM a
COPY <<one <<two /dst/
1
one
2
