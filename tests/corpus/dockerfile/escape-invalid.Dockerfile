# escape=/
FROM a
