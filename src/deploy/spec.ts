/**
 * What a deployment asks for, and its check against AWS's rules before any call.
 * @module
 */

import {
  checkAutoscaling,
  checkImage,
  checkInteger,
  checkName,
  checkRole,
  checkS3Url,
  checkServerless,
  checkWeight,
  storedWeight,
} from "./validation.ts";
import type { DataCaptureConfig } from "@aws-sdk/client-sagemaker";
import { checkModelPackage } from "./registry.ts";
import { checkInstanceType } from "./instance_types.ts";

/** One production variant. */
export interface VariantSpec {
  name: string;
  image: string;
  /** s3:// URL of model.tar.gz; without it the model baked into the image serves. */
  modelData?: string;
  /** A registered model package (src/deploy/registry.ts) instead of image and model data. */
  modelPackage?: string;
  weight: number;
}

export interface AutoscalingSpec {
  min: number;
  max: number;
  /** Target tracking on invocations per instance per minute. */
  invocationsPerInstance: number;
}

export interface DeploySpec {
  endpoint: string;
  role: string;
  variants: VariantSpec[];
  instanceType: string;
  instanceCount: number;
  /** Serverless instead of instances. */
  serverless?: { memoryMb: number; maxConcurrency: number };
  autoscaling?: AutoscalingSpec;
  /** Request/response capture to S3 (src/deploy/capture.ts). */
  dataCapture?: DataCaptureConfig;
}

/** The CLI options each variant's settings come from (the first variant is --image's). */
const variantOptions = (i: number) =>
  i === 0
    ? { name: "variant name", image: "--image", modelData: "--model-data", weight: "weight" }
    : {
      name: "variant name",
      image: "--ab-image",
      modelData: "--ab-model-data",
      weight: "--ab-weight",
    };

/** What --model-package takes for "the newest approved version of --group". */
export const LATEST_APPROVED = "latest-approved";

/**
 * Every way the spec breaks AWS's rules ([] when none), each naming the option. With
 * `unresolved`, --model-package may still be latest-approved (checked before the registry is read).
 */
export function validateSpec(spec: DeploySpec, unresolved = false): string[] {
  const problems = [...checkName("--endpoint", spec.endpoint), ...checkRole("--role", spec.role)];
  if (spec.variants.length === 0) problems.push("a deployment needs at least one variant");
  if (spec.variants.length > 10) problems.push("an endpoint config takes at most 10 variants");
  const seen = new Set<string>();
  for (const [i, v] of spec.variants.entries()) {
    const o = variantOptions(i);
    problems.push(
      ...checkName(o.name, v.name),
      ...(v.modelPackage === undefined
        ? checkImage(o.image, v.image)
        : unresolved && v.modelPackage === LATEST_APPROVED
        ? []
        : checkModelPackage("--model-package", v.modelPackage)),
    );
    if (v.modelData !== undefined) {
      problems.push(...checkS3Url(o.modelData, v.modelData, "the model.tar.gz"));
    }
    problems.push(...checkWeight(o.weight, v.weight));
    if (seen.has(v.name)) problems.push(`variant name "${v.name}" is used twice`);
    seen.add(v.name);
  }
  if (problems.length === 0 && !spec.variants.some((v) => storedWeight(v.weight) > 0)) {
    problems.push("at least one variant needs a weight above 0");
  }
  if (spec.serverless) {
    problems.push(...checkServerless(spec.serverless.memoryMb, spec.serverless.maxConcurrency));
    if (spec.autoscaling) {
      problems.push("--autoscale applies to instance-based endpoints, not --serverless ones");
    }
    if (spec.dataCapture) {
      problems.push("--capture applies to instance-based endpoints, not --serverless ones");
    }
    // Serverless endpoints take one production variant (AWS's serverless feature exclusions).
    if (spec.variants.length > 1) {
      problems.push("--ab-image applies to instance-based endpoints, not --serverless ones");
    }
  } else {
    problems.push(
      ...checkInstanceType("--instance-type", spec.instanceType),
      ...checkInteger("--count", spec.instanceCount, 1),
    );
  }
  if (spec.autoscaling) {
    problems.push(...checkAutoscaling(spec.autoscaling));
    // Application Auto Scaling refuses variants on burstable (T2) instances, after the
    // endpoint was created: refused here instead.
    if (!spec.serverless && /^ml\.t\d/.test(spec.instanceType)) {
      problems.push(
        `--autoscale: SageMaker does not autoscale burstable instances (--instance-type ` +
          `${spec.instanceType}); pass a type such as ml.m5.large or ml.c5.large`,
      );
    }
  }
  return problems;
}
