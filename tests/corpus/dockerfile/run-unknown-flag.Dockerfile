FROM a
RUN --mnt=type=cache,target=/root/.cache pip install x
