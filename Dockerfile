# Gatehouse image: the server runs compiled JavaScript (build/, from scripts/build.ts), not its
# TypeScript sources: Node's type stripper would stay resident in every process (~20 MiB RSS each).
# Configuration comes only from the environment (see server/config.ts).

# Build stage: tsc is a dev dependency, so it compiles here; only build/ is kept.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY accounts ./accounts
COPY adapters ./adapters
COPY federation ./federation
COPY interactions ./interactions
COPY server ./server
COPY views ./views
RUN node scripts/build.ts

FROM node:24-slim

ENV NODE_ENV=production
# glibc gives every thread its own malloc arena; with argon2 and V8's helper threads that held
# ~150 MiB of freed memory per process (bench #5: 430 → 268 MiB RSS with two arenas).
ENV MALLOC_ARENA_MAX=2
# argon2id takes a 19 MiB block per hash. glibc's moving mmap threshold kept those blocks in the heap
# after the first free (~40 MiB RSS for good); a fixed 4 MiB threshold maps and unmaps each one, and
# transparent huge pages make that cheap (+~2 ms of system time per hash instead of +7; bench/memory.ts).
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=4194304
WORKDIR /app

# Production dependencies only. argon2 ships prebuilt binaries for linux-x64/arm64 (glibc); the
# base image's node is Node 24.
# patches/ first: npm ci's postinstall applies them (patch-package; see patches/README.md).
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev && npm cache clean --force

# Sources, one COPY per directory (COPY with several directory sources would merge their contents).
# The server reads its templates and static files from views/, and the CLI (`npm run gatehouse`,
# short-lived) runs the .ts sources. They stay owned by root: the server user can read them but
# not change them.
COPY accounts ./accounts
COPY adapters ./adapters
COPY federation ./federation
COPY interactions ./interactions
COPY server ./server
COPY views ./views
COPY --from=build /app/build ./build

# DATA_DIR (./data) holds the embedded store and generated secrets when DATABASE_URL / KEK /
# COOKIE_KEYS are not set; it is the only place the server writes.
RUN mkdir -p /app/data && chown node:node /app/data && chmod 700 /app/data
VOLUME ["/app/data"]

USER node
EXPOSE 3000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node itself is the container's process (no npm, no shell in between), so `docker stop`'s SIGTERM
# reaches the server, which drains in-flight requests and exits 0. Same command as `npm start`
# (whose prestart builds build/; here the build stage did).
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=30", "build/server/main.js"]
