from a
workdri /app
