FROM a
LABEL maintainer
