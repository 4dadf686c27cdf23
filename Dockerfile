# One image recipe for every vstack service; pick the service with a build argument:
#
#   docker build --build-arg APP=gateway -t vstack/gateway .
#   docker build --target migrations -t vstack/migrations .
#
# APP is one of: sidecar, managing, scoring, synthesizing, gateway, validator, miner-proxy, demo-miner, devnet.
# The default target (the last stage) is the runtime image of APP. The `migrations` target holds every
# Postgres service and runs their migrations in turn (the one-shot in docker-compose.yml, or a Kubernetes Job).

ARG NODE_IMAGE=node:20-bookworm-slim
# Services that keep records in PostgreSQL; the workspace checks keep this list in step with libs/config.
ARG MIGRATION_APPS="sidecar scoring synthesizing gateway"

FROM ${NODE_IMAGE} AS base
WORKDIR /workspace
ENV NX_DAEMON=false \
    NX_TUI=false \
    CI=true

# Every dependency, for the build. Only the manifests are copied so this layer survives source changes.
FROM base AS deps
COPY package.json package-lock.json ./
# postinstall fetches the subtensor metadata the devnet serves into node_modules/.cache.
COPY tools/fetch-subtensor-metadata.mjs tools/
RUN npm ci --no-audit --no-fund

# Production dependencies only: the bundles keep npm packages external and load them at run time.
FROM base AS prod-deps
COPY package.json package-lock.json ./
COPY tools/fetch-subtensor-metadata.mjs tools/
RUN npm ci --omit=dev --no-audit --no-fund

# The source plus the container tooling (healthcheck and migration runner), shared by both builds below.
FROM deps AS source
COPY . .
RUN npx nx run workspace:build --outputStyle=static

FROM source AS build
ARG APP
RUN test -n "$APP" || { echo 'Choose the service: docker build --build-arg APP=<name> .' >&2; exit 1; }; \
    test -f "apps/$APP/project.json" || { echo "No app named '$APP' under apps/" >&2; exit 1; }; \
    npx nx run "$APP:build" --outputStyle=static

FROM source AS build-migrations
ARG MIGRATION_APPS
RUN npx nx run-many -t build --projects="$(echo $MIGRATION_APPS | tr ' ' ',')" --outputStyle=static

# What every image shares: production node_modules and the root package.json ("type": "module"), owned by
# root so the service, running as `node`, cannot rewrite its own code.
FROM ${NODE_IMAGE} AS runtime-base
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=prod-deps /workspace/node_modules ./node_modules
COPY package.json ./
USER node

# Runs `node <app>/main.js migrate` for every Postgres service, stopping at the first failure.
FROM runtime-base AS migrations
ARG MIGRATION_APPS
ENV VSTACK_MIGRATION_APPS="${MIGRATION_APPS}"
COPY --from=build-migrations /workspace/dist/apps/ ./
COPY --from=source /workspace/dist/tools/workspace/docker/migrate.js* ./
CMD ["node", "migrate.js"]

FROM runtime-base AS runtime
ARG APP
ENV VSTACK_APP=${APP}
COPY --from=build /workspace/dist/apps/${APP}/ ./
COPY --from=source /workspace/dist/tools/workspace/docker/healthcheck.js* ./
# Asks /health/live on the HOST and PORT the service itself resolves from its configuration.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "healthcheck.js"]
CMD ["node", "main.js"]
