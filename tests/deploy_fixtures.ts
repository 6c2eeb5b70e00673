/** The example deployment and transform job the deploy tests start from. */

import type { DeploySpec } from "../src/deploy/sagemaker.ts";
import type { TransformSpec } from "../src/deploy/transform.ts";

export const EXAMPLE_ROLE = "arn:aws:iam::123456789012:role/sagemaker";
export const EXAMPLE_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic:1";

/** One ml.t2.medium instance of one image, endpoint "titanic". */
export const EXAMPLE_DEPLOY: DeploySpec = {
  endpoint: "titanic",
  role: EXAMPLE_ROLE,
  variants: [{ name: "primary", image: EXAMPLE_IMAGE, weight: 1 }],
  instanceType: "ml.t2.medium",
  instanceCount: 1,
};

/** A CSV transform job over s3://bucket/in/ with the container's default payload. */
export const EXAMPLE_TRANSFORM: TransformSpec = {
  model: "titanic-primary-0123abcd",
  input: "s3://bucket/in/",
  output: "s3://bucket/out/",
  contentType: "text/csv",
  instanceType: "ml.m5.large",
  instanceCount: 1,
  concurrency: 2,
  maxPayloadMb: 6,
};
