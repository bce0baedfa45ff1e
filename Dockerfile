# The audited help-desk MCP server over Streamable HTTP (and the demo load generator).
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --no-audit --no-fund

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production MCP_TRANSPORT=http HOST=0.0.0.0 PORT=3000 AUDIT_LOG_DIR=/app/logs HELPDESK_DATA_DIR=/app/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
EXPOSE 3000 9464
CMD ["node", "dist/src/bin/helpdesk-server.js"]
