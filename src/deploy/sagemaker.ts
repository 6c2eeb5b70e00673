/**
 * SageMaker deployment, one module per concern, re-exported here: naming and tags
 * (naming.ts), what a deployment asks for and its checks (spec.ts, validation.ts), the exact
 * resources (resources.ts), deploying and traffic shifts (endpoint.ts), waiting (waiting.ts),
 * autoscaling (autoscaling.ts), plans and dry runs (plan.ts, dry_run.ts), teardown by tags
 * (teardown.ts) and Batch Transform (transform.ts).
 * @module
 */

export * from "./autoscaling.ts";
export * from "./dry_run.ts";
export * from "./endpoint.ts";
export * from "./naming.ts";
export * from "./plan.ts";
export * from "./resources.ts";
export * from "./spec.ts";
export * from "./teardown.ts";
export * from "./transform.ts";
export * from "./waiting.ts";
