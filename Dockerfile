# syntax=docker/dockerfile:1
# AutoDL image: the same image runs the API (`node bin/autodl.js serve`, the default command),
# the migration init container (`node bin/autodl.js migrate`) and the worker pods the Kubernetes
# executor creates (`node dist/worker.js run <jobId>`).
#
#   CPU (default):  docker build -t ghcr.io/autodl/autodl:0.1.0 .
#   GPU:            docker build --build-arg VARIANT=gpu -t ghcr.io/autodl/autodl:0.1.0-gpu .
#
# The GPU variant adds @tensorflow/tfjs-node-gpu (TensorFlow 2.9 C library, built for CUDA 11.2 /
# cuDNN 8.1; runs on any CUDA 11.x runtime >= 11.2) on an NVIDIA CUDA runtime base; the app
# selects the `tensorflow` backend when it loads (AUTODL_TF_BACKEND). See docs/deploy.md.
# Smoke test of a built image: `docker run --rm --gpus all <image> node bin/autodl.js doctor`
# (backend, visible GPUs, a one-second conv benchmark).

ARG NODE_IMAGE=node:20-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04
ARG TFJS_NODE_GPU_VERSION=4.22.0
ARG VARIANT=cpu

# ---- build: compile TypeScript, then keep production dependencies only -------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts run only for the packages package.json "allowScripts" approves (today the
# embedded PostgreSQL binaries, whose postinstall restores their symlinks); the image's npm 10
# does not read that field itself, so scripts are skipped and the approved ones rebuilt.
RUN npm ci --ignore-scripts \
  && allowed="$(node -p "const a = require('./package.json').allowScripts || {}; \
      Object.keys(a).filter((k) => a[k] !== false).map((k) => k.replace(/(.)@.*$/, '\$1')) \
        .filter((n) => require('fs').existsSync('node_modules/' + n)).join(' ')")" \
  && if [ -n "$allowed" ]; then npm rebuild --foreground-scripts $allowed; fi
COPY tsconfig.json tsconfig.build.json tsconfig.migrations.json ./
COPY src ./src
COPY bin ./bin
COPY migrations ./migrations
# The web console (Vite), built into console/dist and served by the API at `/`.
COPY console ./console
# src -> dist/, migrations -> dist/migrations/ (what `autodl migrate` runs when built).
RUN npm run build && npm prune --omit=dev --ignore-scripts

# ---- gpu-deps: the native TensorFlow binding for CUDA (downloads libtensorflow at install) -----
FROM build AS gpu-deps
ARG TFJS_NODE_GPU_VERSION
RUN npm install --no-save --omit=dev --ignore-scripts \
    "@tensorflow/tfjs-node-gpu@${TFJS_NODE_GPU_VERSION}" \
  && npm rebuild --foreground-scripts @tensorflow/tfjs-node-gpu

# ---- datasets: the packaged data sets src/ml/data/packaged.ts reads (no download at run time) --
# Only the data files of Debian's dataset-fashion-mnist and python3-sklearn, at the paths the
# packages use, without Python or the packages' dependencies.
FROM ${NODE_IMAGE} AS datasets
WORKDIR /tmp/debs
RUN apt-get update \
  && apt-get download dataset-fashion-mnist python3-sklearn \
  && for deb in ./*.deb; do dpkg-deb -x "$deb" /tmp/root; done \
  && mkdir -p /out/usr/share/datasets /out/usr/lib/python3/dist-packages/sklearn/datasets \
  && cp -r /tmp/root/usr/share/datasets/fashion-mnist /out/usr/share/datasets/ \
  && cp -r /tmp/root/usr/lib/python3/dist-packages/sklearn/datasets/data \
    /out/usr/lib/python3/dist-packages/sklearn/datasets/ \
  && rm -rf /var/lib/apt/lists/*

# ---- runtime-cpu -----------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime-cpu
ENV NODE_ENV=production AUTODL_HOME=/var/lib/autodl
WORKDIR /app
# The node image's `node` user has uid/gid 1000, the ids the manifests run as.
RUN mkdir -p /var/lib/autodl && chown node:node /var/lib/autodl
COPY --from=datasets /out/ /
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/bin ./bin
COPY --from=build --chown=root:root /app/console/dist ./console/dist
USER 1000:1000

# ---- runtime-gpu: CUDA runtime + the Node 20 binary from the official image ------------------
FROM ${NODE_IMAGE} AS node-binary
FROM ${CUDA_IMAGE} AS runtime-gpu
ENV NODE_ENV=production AUTODL_HOME=/var/lib/autodl AUTODL_TF_BACKEND=tensorflow
# Official Node 20 Linux binaries need glibc >= 2.28; Ubuntu 22.04 has 2.35.
COPY --from=node-binary /usr/local/bin/node /usr/local/bin/node
RUN groupadd --gid 1000 autodl \
  && useradd --uid 1000 --gid 1000 --create-home --shell /usr/sbin/nologin autodl \
  && mkdir -p /var/lib/autodl && chown autodl:autodl /var/lib/autodl
WORKDIR /app
COPY --from=datasets /out/ /
COPY --from=gpu-deps --chown=root:root /app/package.json ./
COPY --from=gpu-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=gpu-deps --chown=root:root /app/dist ./dist
COPY --from=gpu-deps --chown=root:root /app/bin ./bin
COPY --from=gpu-deps --chown=root:root /app/console/dist ./console/dist
USER 1000:1000

# ---- final: pick the variant ------------------------------------------------------------------
FROM runtime-${VARIANT}
EXPOSE 3000
CMD ["node", "bin/autodl.js", "serve"]
