# syntax=docker/dockerfile:1
# Build: compile TypeScript with the full dependency set.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: `prepare` would build before the sources are here, and the dev tools'
# own scripts (buf, the embedded PostgreSQL binaries) are not needed to compile. The patches of
# patches/ are applied as `postinstall` would.
COPY patches ./patches
RUN npm ci --no-audit --no-fund --ignore-scripts && npx patch-package
COPY tsconfig.json buf.yaml buf.gen.yaml ./
COPY proto ./proto
COPY gen ./gen
COPY src ./src
COPY test ./test
RUN npm run build

# Runtime: production dependencies and compiled code only, as a non-root user. There is no
# embedded PostgreSQL here (a development dependency): the service refuses to start without
# DATABASE_URL.
FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=8080 DATA_DIR=/var/lib/device-registry
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npx patch-package && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/gen ./dist/gen
RUN mkdir -p /var/lib/device-registry && chown node:node /var/lib/device-registry
# The dev-mode JWT key and issuing CA live here when AUTH_JWKS / ISSUING_CA_* are not set: a
# volume keeps them across restarts (a new dev CA would orphan every certificate issued).
VOLUME /var/lib/device-registry
USER node
EXPOSE 8080
# /healthz over https when TLS_CERT is set, http otherwise.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "dist/src/cli/healthcheck.js"]
# V8 would otherwise size the young generation from the machine's memory (up to ~100 MB more RSS
# under load, measured by npm run bench), and let the old generation grow up to 4x its live objects
# between collections (RSS 260-520 MB under load, ~180 MB with 1.5x); neither costs throughput.
CMD ["node", "--max-semi-space-size=16", "--heap-growing-percent=50", "dist/src/main.js"]
