FROM a
RUN <<"EOF cat
