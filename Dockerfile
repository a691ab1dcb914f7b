# syntax=docker/dockerfile:1
#
# cakegate's container image: a static binary in an empty image, run as a non-root user,
# with the database on a volume.
#
#   docker build -t cakegate --build-arg VERSION=$(git describe --tags --always --dirty) .
#
# Offline, from the module cache on this machine (as CI builds), nothing is downloaded:
#
#   docker build --build-context gomodcache=$(go env GOMODCACHE) --build-arg GOPROXY=off -t cakegate .
#
# Run it with the database on a volume, and the policy file and the Datacake token file
# mounted (Socket Mode: SLACK_BOT_TOKEN and SLACK_APP_TOKEN from your shell; docs/running.md,
# "Container image"). cakegate runs as user 65532, which must be able to read the token file:
# chown 65532 it, or make it 0640 and add --group-add "$(id -g)" to docker run.
#
#   docker run -v cakegate-data:/data \
#     -v "$PWD/cakegate.yaml:/etc/cakegate/cakegate.yaml:ro" \
#     -v "$PWD/datacake-token:/run/secrets/datacake-token:ro" \
#     -e DATACAKE_TOKEN_FILE=/run/secrets/datacake-token \
#     -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN cakegate

ARG GO_VERSION=1.26

# gomodcache is empty unless the build is given the host's module cache under that name
# (--build-context gomodcache=…), which then replaces this stage.
FROM scratch AS gomodcache

FROM golang:${GO_VERSION} AS build
ARG GOPROXY=https://proxy.golang.org,direct
ARG VERSION=
ENV GOPROXY=${GOPROXY} GOTOOLCHAIN=local GOFLAGS=-modcacherw GOMODCACHE=/gomodcache
WORKDIR /src
COPY . .
# The module cache is mounted, never copied into a layer; what an online build downloads
# lands in the mount and is dropped with it. The binary is built by the script CI and the
# tests build it with.
RUN --mount=type=bind,from=gomodcache,target=/gomodcache,rw \
    .ci/build /out/cakegate "${VERSION}" && /out/cakegate version
# The database's folder, owned by the user cakegate runs as.
RUN mkdir -p /out/data

FROM scratch
# HTTPS to Slack and Datacake needs the CA certificates; time zones are in the binary.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/cakegate /cakegate
COPY --from=build --chown=65532:65532 /out/data /data
# A numeric user: the image has no /etc/passwd, and Kubernetes' runAsNonRoot can check it.
USER 65532:65532
ENV CAKEGATE_DB=/data/cakegate.db \
    CAKEGATE_CONFIG=/etc/cakegate/cakegate.yaml \
    CAKEGATE_ADDR=:3000
VOLUME ["/data"]
EXPOSE 3000
ENTRYPOINT ["/cakegate"]
CMD ["serve"]
