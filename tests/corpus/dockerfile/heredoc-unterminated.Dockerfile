FROM a
RUN <<EOF
apt-get update
EOF 
