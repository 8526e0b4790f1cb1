# The agent-runs image: one image, two processes (see docker-compose.yml). The default command is
# the API; the worker runs the same image with `node --import tsx worker/main.ts`.
FROM node:24-slim
# git: workspaces are cloned from git templates and each run's changes are diffed against a git baseline.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# The console's bundle, served by the API at / (built here, never committed).
RUN node --import tsx scripts/build-console.ts
RUN mkdir -p /data && chown node /data
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "api/main.ts"]
