# SageMaker inference image: deno, onnxruntime (linux-x64 CPU only), the server and the model,
# on a root file system holding nothing else (no shell, no package manager).
# Started by SageMaker as `IMAGE serve`; also runs with no argument.
FROM denoland/deno:2.9.6 AS build
WORKDIR /app
COPY deno.json deno.lock ./
COPY src/codec src/codec
COPY src/inference src/inference
COPY src/util src/util
COPY container container
COPY models models
ENV DENO_DIR=/app/.deno-dir
# Fetch and cache what the server imports, so that start-up needs no network; then keep only
# onnxruntime: deno install brings every package of the import map (polars, the AWS SDK, ...).
RUN deno install --frozen --entrypoint container/server.ts \
 && deno cache --frozen container/server.ts \
 && rm -rf "$DENO_DIR/npm" \
 && for d in node_modules/.deno/*; do case "${d##*/}" in \
      onnxruntime-node@*|onnxruntime-common@*|node_modules) ;; *) rm -rf "$d" ;; esac; done \
 && for d in node_modules/*; do [ "${d##*/}" = onnxruntime-node ] || rm -rf "$d"; done \
 && ort=$(find node_modules/.deno -maxdepth 3 -type d -name onnxruntime-node | head -1) \
 && find "$ort/bin/napi-v6" -mindepth 2 -maxdepth 2 -type d ! -path '*/linux/x64' -exec rm -rf {} + \
 && mkdir -p /rootfs/usr/bin /rootfs/tmp && chmod 1777 /rootfs/tmp \
 && cp /usr/bin/deno /rootfs/usr/bin/deno \
 && for lib in $(ldd /usr/bin/deno "$ort"/bin/napi-v6/linux/x64/* | grep -o '/[^ ]*\.so[^ ]*' \
      | grep -v '^/app/' | sort -u); do cp --parents -L "$lib" /rootfs/; done \
 && chown 1000:1000 /rootfs/usr/bin/deno "$ort"/bin/napi-v6/linux/x64/* \
 && chmod 0555 /rootfs/usr/bin/deno "$ort"/bin/napi-v6/linux/x64/*
# deno and onnxruntime belong to the server's user (read-only mode): Linux lets a process page out
# the code of files it owns only, which container/memory.ts does once the server is warm (about
# 35 MB less resident). Everything else stays root's.

FROM scratch
LABEL com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true
COPY --from=build /rootfs /
COPY --from=build /app /app
WORKDIR /app
# MALLOC_ARENA_MAX=2: glibc's per-thread heaps kept 20-30 MB more after a burst of 6 MB bodies.
ENV DENO_DIR=/app/.deno-dir \
    DENO_NO_UPDATE_CHECK=1 \
    ORT_DISABLE_TELEMETRY=1 \
    MALLOC_ARENA_MAX=2 \
    NO_COLOR=1 \
    HOME=/tmp
EXPOSE 8080
USER 1000
# manual node_modules: use what the build installed, never resolve or download at start-up.
# Permissions: read the app and the SageMaker model directory, the server's environment
# variables, the total memory (admission defaults), listen on 0.0.0.0; FFI for onnxruntime's native binding and container/memory.ts.
ENTRYPOINT ["/usr/bin/deno", "run", "--cached-only", "--node-modules-dir=manual", "--unstable-net", "--v8-flags=--max-semi-space-size=2,--expose-gc", "--allow-read=/app,/opt/ml/model", "--allow-sys=systemMemoryInfo", "--allow-env=BODY_MIN_RATE_KB,HEADER_TIMEOUT_SECONDS,KEEPALIVE_TIMEOUT_SECONDS,MAX_CONNECTIONS,MAX_INFLIGHT_BODY_MB,MAX_INFLIGHT_REQUESTS,MODEL_DIR,MODEL_THREADS,RELEASE_STARTUP_MEMORY,SAGEMAKER_BIND_TO_PORT,SAGEMAKER_MAX_PAYLOAD_IN_MB,SAGEMAKER_MODEL_SERVER_TIMEOUT,SAGEMAKER_MODEL_SERVER_WORKERS,SCORERS_PER_UNIT,ENDPOINT_NAME,VARIANT_NAME,METRICS_NAMESPACE,METRICS_DIMENSIONS,METRICS_EMF", "--allow-net=0.0.0.0", "--allow-ffi", "/app/container/server.ts"]
