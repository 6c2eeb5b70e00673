# SageMaker inference image: deno + onnxruntime (linux-x64 CPU only) + the server + the model.
# Started by SageMaker as `IMAGE serve`; also runs with no argument.
FROM denoland/deno:2.9.6 AS build
WORKDIR /app
COPY deno.json deno.lock ./
COPY src/codec src/codec
COPY src/inference src/inference
COPY src/util src/util
COPY container container
COPY models models
# Fetch and cache only what the server imports, so start-up needs no network.
ENV DENO_DIR=/app/.deno-dir
RUN deno install --frozen --entrypoint container/server.ts \
 && deno cache --frozen container/server.ts \
 && ort=$(find node_modules/.deno -maxdepth 3 -type d -name onnxruntime-node -path '*onnxruntime-node@*' | head -1) \
 && find "$ort/bin/napi-v6" -mindepth 2 -maxdepth 2 -type d ! -path '*/linux/x64' -exec rm -rf {} + \
 && rm -rf node_modules/.deno/nodejs-polars* node_modules/nodejs-polars node_modules/.deno/@types+node* "$DENO_DIR/npm" \
 && cp /usr/bin/deno /app/deno

FROM debian:bookworm-slim
LABEL com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true
COPY --from=build /app/deno /usr/bin/deno
COPY --from=build /app /app
RUN rm /app/deno
WORKDIR /app
ENV DENO_DIR=/app/.deno-dir \
    DENO_NO_UPDATE_CHECK=1 \
    NO_COLOR=1 \
    HOME=/tmp
EXPOSE 8080
USER 1000
# manual node_modules: use what the build installed, never resolve or download at start-up.
ENTRYPOINT ["deno", "run", "--cached-only", "--node-modules-dir=manual", "--allow-read", "--allow-env", "--allow-net", "--allow-ffi", "/app/container/server.ts"]
