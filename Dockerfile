# syntax=docker/dockerfile:1
# The GitHub Action image: `flaskscan github` reads INPUT_* and GITHUB_* from the runner.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Everything `cargo build` reads, and nothing else (.dockerignore keeps target/, tests/, docs/ out):
# - data/: the advisory snapshot, compiled in with include_bytes! (src/deps/sources/snapshot.rs);
# - benches/: Cargo.toml declares [[bench]] targets, and cargo refuses to load a manifest whose
#   declared targets are missing, even to build only the binary.
# - build.rs: the commit (from FLASKSCAN_COMMIT: .git is not in the context) and snapshot date
#   shown by --version.
ARG FLASKSCAN_COMMIT=""
ENV FLASKSCAN_COMMIT=${FLASKSCAN_COMMIT}
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY data ./data
COPY benches ./benches
RUN cargo build --release --locked --bin flaskscan \
    && strip target/release/flaskscan

FROM debian:bookworm-slim
# TLS roots for api.github.com (and GHES; a private CA can be given with SSL_CERT_FILE).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/flaskscan /usr/local/bin/flaskscan
# Runs as root (no USER): the runner mounts the workspace owned by its own user and only root
# can read and write it. No WORKDIR: the runner sets it to the workspace.
# Exec form with no shell: a shell would drop the hyphenated INPUT_ names (INPUT_FAIL-ON).
ENTRYPOINT ["/usr/local/bin/flaskscan", "github"]
