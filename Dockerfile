# syntax=docker/dockerfile:1
#
# ThreeRing server image.
#   docker build -t threering .
#   docker run --rm -p 3000:3000 -e PUBLIC_BASE_URL=... -e TWILIO_ACCOUNT_SID=... \
#     -e TWILIO_AUTH_TOKEN=... -e ADMIN_TOKEN=... -e LINK_SECRET=... \
#     -e DATABASE_URL=... -e REDIS_URL=... threering
# Without DATABASE_URL the server keeps an embedded PGlite database in /app/data (mount a volume
# there to keep it); without REDIS_URL it coordinates in-process, so run a single instance then.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript to dist/ ------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .
RUN npm run build
# tsc emits only JavaScript: copy the files the code reads at run time from next to itself
# (src/postgres/migrations/*.sql, src/redis/lua/*.lua, ...) into the same place under dist/.
RUN mkdir -p dist/src/postgres/migrations \
 && cp src/postgres/migrations/*.sql dist/src/postgres/migrations/
RUN for dir in src webhooks; do \
      if [ -d "$dir" ]; then find "$dir" -type f ! -name '*.ts' -exec cp --parents {} dist/ ';' ; fi; \
    done \
 && test -f dist/src/server.js

# ---- runtime: production dependencies and the compiled code only -----------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production PORT=3000
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

COPY --from=build /app/dist ./dist
# The only place the server writes: the embedded database when DATABASE_URL is unset, and the
# spool of calls put through while PostgreSQL is down (SPOOL_DIR, ./data/spool).
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 3000

# No curl in the slim image: Node's own fetch asks the server whether it is healthy.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

CMD ["node", "dist/src/server.js"]
