# comment
ARG V=1
RUN echo
FROM a:$V
