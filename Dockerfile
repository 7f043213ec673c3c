# The API and the worker share one image; docker-compose.yml picks the command.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY jobs ./jobs
COPY bench ./bench
COPY schemas ./schemas
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schemas ./schemas
COPY package.json ./
# The outbox and statements volumes (docker-compose.yml) mount here: an empty named volume takes the owner of
# the image's folder, so the folders must exist and be node's, or every pain.001 and statement write is EACCES.
RUN mkdir -p /outbox /statements && chown node:node /outbox /statements
USER node
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
