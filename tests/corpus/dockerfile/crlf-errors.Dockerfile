FROM a
RUNN x
COPY y
