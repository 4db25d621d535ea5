# syntax=docker/dockerfile:1.7
# cohort-checkpoint-store: object storage (filesystem, S3/MinIO/R2) and peers' buckets.
# Build from the repository root (deploy/README.md); CI only lints this file (test/deploy/dockerfiles.test.ts):
#   docker build -f deploy/docker/checkpoint-store.Dockerfile -t cohort/checkpoint-store:dev .

# Node 20 (package.json engines, .nvmrc) on Debian 12, the distribution scripts/setup.sh targets.
ARG NODE_VERSION=20.19.5
ARG DEBIAN_CODENAME=bookworm

# Node plus the pnpm that scripts/setup.sh installs (npm, not corepack).
FROM node:${NODE_VERSION}-${DEBIAN_CODENAME}-slim AS base
ARG PNPM_VERSION=12.21.0
ENV CI=true
RUN npm install -g "pnpm@${PNPM_VERSION}"
WORKDIR /src

# The whole workspace from the lockfile: packages fetched from the lockfile alone (cached until it changes),
# then linked offline once the sources are in.
FROM base AS deps
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc .pnpmfile.cjs ./
RUN pnpm fetch --store-dir /pnpm/store
COPY . .
RUN pnpm install --frozen-lockfile --offline --store-dir /pnpm/store

# TypeScript: @cohort/checkpoint-store and the project references it builds on.
FROM deps AS build
RUN pnpm exec tsc -b services/checkpoint-store

# Production dependencies of @cohort/checkpoint-store only, assembled in the workspace layout under /out.
FROM build AS prod
RUN find . -name node_modules -type d -prune -exec rm -rf {} + \
  && pnpm install --frozen-lockfile --offline --prod --store-dir /pnpm/store --filter "@cohort/checkpoint-store..." \
  && node deploy/docker/assemble-runtime.mjs @cohort/checkpoint-store /out

# The image: the service and its production dependencies, run as an unprivileged user.
FROM node:${NODE_VERSION}-${DEBIAN_CODENAME}-slim AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="cohort-checkpoint-store" \
      org.opencontainers.image.description="cohort checkpoint-store: object storage (filesystem, S3/MinIO/R2) and peers' buckets" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.vendor="cohort"
RUN groupadd --system --gid 10001 cohort \
  && useradd --system --uid 10001 --gid cohort --create-home --home-dir /home/cohort --shell /usr/sbin/nologin cohort
WORKDIR /app
COPY --from=prod /out/ ./
# Relative state directories of the defaults (mount volumes here to keep them).
RUN mkdir -p .cohort && chown cohort:cohort .cohort
# Listen on every interface: the defaults bind 127.0.0.1, unreachable from outside the container.
ENV NODE_ENV=production COHORT_GRPC_HOST=0.0.0.0 COHORT_METRICS_HOST=0.0.0.0
USER 10001:10001
# gRPC (grpc.health.v1 answers the probes) and /metrics, the defaults of `cohort config checkpoint-store`.
EXPOSE 50053 9103
ENTRYPOINT ["node", "services/checkpoint-store/dist/main.js"]
