/**
 * onnxruntime 1.29+ sends usage telemetry on Linux (it looks up mobile.events.data.microsoft.com
 * some seconds after its first session) unless ORT_DISABLE_TELEMETRY=1. Import this module
 * before onnxruntime-node: ES modules run in import order, so the variable is in the process
 * environment before onnxruntime reads it. The tasks and the image set it as well; this covers
 * any other way in (the notebooks' kernel, a script importing src/inference/model.ts).
 * An explicit value (ORT_DISABLE_TELEMETRY=0 to opt in) is left alone.
 * @module
 */

const NAME = "ORT_DISABLE_TELEMETRY";

if (Deno.permissions.querySync({ name: "env", variable: NAME }).state === "granted") {
  if (Deno.env.get(NAME) === undefined) Deno.env.set(NAME, "1");
}
