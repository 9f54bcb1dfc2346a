# syntax=docker/dockerfile:1
# warroom: Slack incident bot. Runs the compiled JavaScript (dist/) on plain Node; tsx only runs the
# maintenance scripts (npm run audit:verify).
#   docker build -t warroom .
#   docker run --env-file .env -p 3000:3000 warroom

ARG NODE_IMAGE=node:24-slim

# ---- stage 1: install everything, type-check ------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's postinstall guards the Postgres driver against a crash on a closed socket.
COPY scripts/patch-postgres.mjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run typecheck \
 && npm run build \
 && mkdir -p policy migrations \
 && rm -rf src/sandbox
# src/sandbox (the fake Slack, PagerDuty and Twilio of the demo and the tests, with a test TLS key)
# is type-checked above and never reaches the runtime stage; its key is not even in the context.

# ---- stage 2: production dependencies and sources only -------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --chown=node:node package.json package-lock.json ./
COPY --chown=node:node scripts/patch-postgres.mjs ./scripts/
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/src ./src
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/policy ./policy
COPY --from=build /app/manifest.yml ./manifest.yml
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
