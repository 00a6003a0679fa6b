# The engine's image: the `nurture` command, run through tsx as in development (no build step).
# docker-compose.yml runs it as `nurture api` and `nurture worker`; any other subcommand works too:
#   docker run --rm <image> lint
FROM node:20.20.2-bookworm-slim

WORKDIR /app
# The npm the project is developed with, which runs only the install scripts package.json approves
# (allowScripts); node:20 ships npm 10, which runs them all.
RUN npm install --global npm@11.19.1
# The dependencies first, so that a change to the source reuses this layer. All of them: the CLI
# loads `nurture start`'s module graph, @temporalio/testing among it, whichever command runs.
COPY package.json package-lock.json ./
# npm ci's postinstall applies these to the SDK (patch-package): replays skip the stack-trace hook and watchdog.
COPY patches ./patches
RUN npm ci && npm cache clean --force
COPY . .

USER node
ENTRYPOINT ["node", "cli/bin.js"]
CMD ["api"]
