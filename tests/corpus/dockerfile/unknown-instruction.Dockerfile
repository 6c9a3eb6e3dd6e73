FROM debian:bookworm
RUNN apt-get update
