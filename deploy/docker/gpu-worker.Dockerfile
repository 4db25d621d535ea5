# syntax=docker/dockerfile:1.7
# cohort-gpu-worker: one model replica through the native engine.
# Build from the repository root (deploy/README.md); CI only lints this file (test/deploy/dockerfiles.test.ts):
#   docker build -f deploy/docker/gpu-worker.Dockerfile -t cohort/gpu-worker:dev .
#   docker build -f deploy/docker/gpu-worker.Dockerfile --build-arg VARIANT=cuda -t cohort/gpu-worker:dev-cuda .
# VARIANT=cpu builds the native engine against Debian's libtorch 1.13 (libtorch-dev, libopenblas0-pthread);
# VARIANT=cuda against the libtorch bundled with PyTorch (pip torch) with nvcc compiling the CUDA kernels.

# Node 20 (package.json engines, .nvmrc) on Debian 12, the distribution scripts/setup.sh targets.
ARG NODE_VERSION=20.19.5
ARG DEBIAN_CODENAME=bookworm
# The CUDA variant: toolkit image, PyTorch wheel and its CUDA flavour must agree (cu128 = CUDA 12.8).
ARG CUDA_VERSION=12.8.1
ARG UBUNTU_VERSION=22.04
ARG VARIANT=cpu

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

# TypeScript: @cohort/gpu-worker and the project references it builds on.
FROM deps AS build
RUN pnpm exec tsc -b services/gpu-worker

# The native engine and its N-API addon against Debian's CPU libtorch (no nvcc: CUDA kernels off).
FROM deps AS native-cpu
RUN apt-get update \
  && apt-get install -y --no-install-recommends cmake g++ make libtorch-dev libopenblas0-pthread \
  && rm -rf /var/lib/apt/lists/*
ENV COHORT_WITH_CUDA=OFF COHORT_WITH_ADDON=ON
RUN node native/scripts/build-native.mjs

# The native engine against PyTorch's bundled CUDA libtorch, CUDA kernels compiled by nvcc (no GPU needed).
FROM nvidia/cuda:${CUDA_VERSION}-devel-ubuntu${UBUNTU_VERSION} AS native-cuda
ARG TORCH_VERSION=2.11.0
ARG TORCH_CUDA=cu128
ARG CMAKE_VERSION=3.31.6
ARG CUDA_ARCHITECTURES="80;90"
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 python3-pip g++ make \
  && rm -rf /var/lib/apt/lists/*
RUN python3 -m pip install --no-cache-dir "cmake==${CMAKE_VERSION}" \
  && python3 -m pip install --no-cache-dir --target /opt/pytorch \
    --index-url "https://download.pytorch.org/whl/${TORCH_CUDA}" "torch==${TORCH_VERSION}"
COPY --from=base /usr/local/bin/node /usr/local/bin/node
COPY --from=base /usr/local/include/node /usr/local/include/node
COPY --from=deps /src /src
WORKDIR /src
# No GPU at build time: the architectures are named, for our kernels and for libtorch's CMake config.
ENV PYTHONPATH=/opt/pytorch TORCH_CUDA_ARCH_LIST="8.0;9.0" \
    COHORT_WITH_CUDA=ON COHORT_WITH_ADDON=ON CMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES}"
RUN CMAKE_PREFIX_PATH="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')" \
    node native/scripts/build-native.mjs

FROM native-${VARIANT} AS native

# Production dependencies of @cohort/gpu-worker only, assembled in the workspace layout under /out.
FROM build AS prod
COPY --from=native /src/native/build/cohort_native.node native/build/cohort_native.node
RUN find . -name node_modules -type d -prune -exec rm -rf {} + \
  && pnpm install --frozen-lockfile --offline --prod --store-dir /pnpm/store --filter "@cohort/gpu-worker..." \
  && node deploy/docker/assemble-runtime.mjs @cohort/gpu-worker /out

# Run time, CPU: Node and Debian's libtorch shared libraries.
FROM node:${NODE_VERSION}-${DEBIAN_CODENAME}-slim AS runtime-cpu
RUN apt-get update \
  && apt-get install -y --no-install-recommends libtorch1.13 libopenblas0-pthread \
  && rm -rf /var/lib/apt/lists/*

# Run time, CUDA: the host's NVIDIA driver is mounted by the container toolkit; PyTorch's libraries
# (with their CUDA runtime) sit at the path the addon was linked against.
FROM nvidia/cuda:${CUDA_VERSION}-base-ubuntu${UBUNTU_VERSION} AS runtime-cuda
COPY --from=base /usr/local/bin/node /usr/local/bin/node
COPY --from=native-cuda /opt/pytorch/torch/lib /opt/pytorch/torch/lib
COPY --from=native-cuda /opt/pytorch/nvidia /opt/pytorch/nvidia
ENV LD_LIBRARY_PATH=/opt/pytorch/torch/lib:/opt/pytorch/nvidia/cuda_runtime/lib:${LD_LIBRARY_PATH}

# The image: the service and its production dependencies, run as an unprivileged user.
FROM runtime-${VARIANT} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="cohort-gpu-worker" \
      org.opencontainers.image.description="cohort gpu-worker: one model replica through the native engine" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.vendor="cohort"
RUN groupadd --system --gid 10001 cohort \
  && useradd --system --uid 10001 --gid cohort --create-home --home-dir /home/cohort --shell /usr/sbin/nologin cohort
WORKDIR /app
COPY --from=prod /out/ ./
# Relative state directories of the defaults (mount volumes here to keep them).
RUN mkdir -p gpu-worker-state dataset-cache && chown cohort:cohort gpu-worker-state dataset-cache
# Listen on every interface: the defaults bind 127.0.0.1, unreachable from outside the container.
ENV NODE_ENV=production COHORT_GRPC_HOST=0.0.0.0 COHORT_METRICS_HOST=0.0.0.0
USER 10001:10001
# gRPC (grpc.health.v1 answers the probes) and /metrics, the defaults of `cohort config gpu-worker`.
EXPOSE 50055 9105
ENTRYPOINT ["node", "services/gpu-worker/dist/main.js"]
