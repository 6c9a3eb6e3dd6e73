FROM a
RUN \

