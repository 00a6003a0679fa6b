# The engine's image: the `nurture` command, run through tsx as in development, with the workflow
# bundle built ahead of time and only the production dependencies installed (devstack/, the
# embedded servers and the test tools stay out). docker-compose.yml runs it as `nurture api` and
# `nurture worker`; other production subcommands work too:
#   docker run --rm <image> lint

# Stage 1: the workflow bundle, built with every dependency installed.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
# The npm the project is developed with, which runs only the install scripts package.json approves
# (allowScripts); node:20 ships npm 10, which runs them all.
RUN npm install --global npm@11.19.1
COPY package.json package-lock.json ./
# npm ci's postinstall applies these to the SDK (patch-package): replays skip the stack-trace hook and watchdog.
COPY patches ./patches
RUN npm ci
COPY . .
RUN npm run build:workflows

# Stage 2: what runs.
FROM node:20.20.2-bookworm-slim
WORKDIR /app
RUN npm install --global npm@11.19.1
# The dependencies first, so that a change to the source reuses this layer.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev && npm cache clean --force
COPY . .
COPY --from=build /app/dist/workflow-bundle.js ./dist/workflow-bundle.js
# The lead worker loads this bundle instead of bundling the workflows at every start.
ENV NURTURE_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js

USER node
ENTRYPOINT ["node", "cli/bin.js"]
CMD ["api"]
