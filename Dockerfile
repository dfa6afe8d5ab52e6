# kcp-front-proxy container image.
#   docker build -t kcp-front-proxy .
#   docker run --rm kcp-front-proxy --help
# Three stages: build (dev dependencies, tsc) → deps (production node_modules only) →
# runtime (distroless Node: no shell, no package manager, runs as uid 65532).
# test/ship/dockerfile.test.ts replays these steps in CI, so keep them simple COPY/RUN lines.

# Node 24 is the LTS line the CI tests (.ci/run); the patch version matches it.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim
# Pin by digest in production (docker buildx imagetools inspect <image>), the tag floats with Node patches.
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
ENV NODE_ENV=production
# Non-root (distroless "nonroot"); with a read-only root filesystem mount a writable
# volume for --root-directory (self-signed certificates) or pass --tls-cert-file.
USER 65532:65532
EXPOSE 6443
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli.js"]
