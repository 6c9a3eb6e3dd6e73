FROM a
COPY --from build /out /app
