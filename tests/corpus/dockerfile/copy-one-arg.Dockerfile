FROM a
COPY requirements.txt
