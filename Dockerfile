# syntax=docker/dockerfile:1
# Build: compile TypeScript with the full dependency set.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json buf.yaml buf.gen.yaml ./
COPY proto ./proto
COPY gen ./gen
COPY src ./src
COPY test ./test
RUN npm run build

# Runtime: production dependencies and compiled code only, as a non-root user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=8080 DATA_DIR=/var/lib/device-registry
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/gen ./dist/gen
RUN mkdir -p /var/lib/device-registry && chown node:node /var/lib/device-registry
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# V8 would otherwise size the young generation from the machine's memory (up to ~100 MB more RSS
# under load, measured by npm run bench), and let the old generation grow up to 4x its live objects
# between collections (RSS 260-520 MB under load, ~180 MB with 1.5x); neither costs throughput.
CMD ["node", "--max-semi-space-size=16", "--heap-growing-percent=50", "dist/src/main.js"]
