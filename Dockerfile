# The agent-runs image: one image, two processes (see docker-compose.yml). The default command is
# the API; the worker runs the same image with `node --import tsx worker/main.ts`.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "api/main.ts"]
