# katonic-console: one static-ish binary on a slim Debian runtime.
#   docker build -t katonic-console .
#   docker run -d --name katonic-console --network host -v katonic-data:/data katonic-console
# Host networking keeps the console on the jumphost's loopback (reach it with `ssh -L`) and lets
# it resolve the private cluster's API server through the VNet's DNS, exactly like the binary.

# Build stage: dependencies first (cached while only our sources change), then the console.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Compile-time-checked queries read .sqlx/ instead of a live database.
ENV SQLX_OFFLINE=true CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0
COPY Cargo.toml Cargo.lock ./
COPY crates/katonic-domain/Cargo.toml crates/katonic-domain/
COPY crates/katonic-sim/Cargo.toml crates/katonic-sim/
# Stub targets for every crate of the workspace, so the manifests resolve and only the
# dependencies build in this layer.
RUN mkdir -p src benches/engine crates/katonic-domain/src crates/katonic-sim/src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs crates/katonic-domain/src/lib.rs crates/katonic-sim/src/lib.rs \
 && echo 'fn main() {}' > benches/engine/main.rs \
 && cargo build --release --locked \
 && rm -rf src benches crates/katonic-domain/src crates/katonic-sim/src
COPY .sqlx ./.sqlx
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY specs ./specs
COPY crates ./crates
COPY benches ./benches
COPY src ./src
# New mtimes so cargo rebuilds our crates, not the cached stubs.
RUN touch src/main.rs src/lib.rs crates/katonic-domain/src/lib.rs crates/katonic-sim/src/lib.rs \
 && cargo build --release --locked \
 && strip target/release/katonic-console

# Runtime stage: CA certificates for Azure's endpoints, a non-root user, a data volume.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates=20230311* \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin katonic \
 && mkdir -p /data \
 && chown katonic:katonic /data \
 && chmod 0700 /data
COPY --from=build /src/target/release/katonic-console /usr/local/bin/katonic-console
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
ENV KATONIC_CONSOLE_DATA_DIR=/data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["katonic-console", "health", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["katonic-console"]
CMD ["serve", "--data-dir", "/data"]
