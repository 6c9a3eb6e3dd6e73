FROM a
CMD ["sleep", 10]
