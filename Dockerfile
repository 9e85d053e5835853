# The headless node (`sd-nearby serve`) in a container: P2P port 7373 (SD_DOCKER=true), data in
# the volume /data, the HTTP API on 7374 and the web UI on 7380 (both need the token printed in
# the log, as they listen beyond loopback). See README "Docker".

FROM node:20-slim AS build
WORKDIR /app
# No install script (no Electron binary): only the node and the web UI are built, and the image
# keeps neither the dev nor the optional dependencies (Electron).
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json tsconfig.node.json tsconfig.web.json vite.config.ts ./
COPY bin ./bin
COPY scripts/build-cli.mjs ./scripts/
COPY src-shared ./src-shared
COPY src-main ./src-main
COPY src-renderer ./src-renderer
COPY assets ./assets
RUN npm run build:node && npm run build:renderer && npm prune --omit=dev --omit=optional --ignore-scripts

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production \
    SD_DOCKER=true \
    SD_NEARBY_DATA_DIR=/data \
    SD_NEARBY_DEVICE_MODEL=Server
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
# 7373: P2P link (TLS); 5353: mDNS (with --network host); 7374: API; 7380: web UI.
EXPOSE 7373/tcp 5353/udp 7374/tcp 7380/tcp
ENTRYPOINT ["node", "bin/sd-nearby.js"]
CMD ["serve", "--data-dir", "/data", "--api", "0.0.0.0:7374", "--ui", "0.0.0.0:7380"]
