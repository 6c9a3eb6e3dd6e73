FROM golang:1.22 ASS build
