# storefront in a container: one binary, its data dir a volume.
#   docker build -t storefront .
#   docker run -d --name shop -p 8080:8080 -v shop-data:/data storefront
#   docker exec shop cat /data/first-start.txt     # the first admin password and API token
# Behind a proxy on another host, set STOREFRONT_LIMITS_BEHIND_PROXY=true; to let Prometheus
# scrape from outside the container, set STOREFRONT_HTTP_METRICS_TOKEN. See README.md.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin storefront \
    && strip target/release/storefront

FROM debian:bookworm-slim
# CA certificates for Stripe, SMTP and supplier feeds over TLS; nothing else is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin storefront \
    && mkdir -p /data && chown storefront:storefront /data
COPY --from=build /src/target/release/storefront /usr/local/bin/storefront
USER storefront
ENV STOREFRONT_DATA_DIR=/data \
    STOREFRONT_BIND=0.0.0.0:8080 \
    STOREFRONT_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
# SIGTERM lets requests in flight finish and closes the store cleanly.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
    CMD ["storefront", "health", "--url", "http://127.0.0.1:8080"]
CMD ["storefront", "serve"]
