/**
 * `deploy --capture s3://BUCKET/PREFIX[,PERCENT]`: the endpoint config's DataCaptureConfig.
 * Requests and responses are captured; CSV and JSON bodies are stored as text (CSV, JSON
 * encodings), anything else (JSON lines) as BASE64 — the three encodings `deno task drift` reads.
 * @module
 */

import type { DataCaptureConfig } from "@aws-sdk/client-sagemaker";
import { checkS3Url } from "./validation.ts";

/** Parses the option; throws naming the problem. */
export function dataCaptureConfig(option: string): DataCaptureConfig {
  const [uri, percentText, ...rest] = option.split(",").map((s) => s.trim());
  if (rest.length) throw new Error(`--capture takes s3://BUCKET/PREFIX[,PERCENT], got "${option}"`);
  // DestinationS3Uri: at most 512 characters.
  const problems = checkS3Url("--capture", uri, "the capture prefix", "optional", 512);
  if (problems.length) {
    throw new Error(`--capture takes s3://BUCKET/PREFIX[,PERCENT]: ${problems.join("; ")}`);
  }
  const percent = percentText === undefined ? 100 : Number(percentText);
  if (!Number.isInteger(percent) || percent < 1 || percent > 100) {
    throw new Error(
      `--capture: the sampling percentage must be an integer 1-100, got "${percentText}"`,
    );
  }
  return {
    EnableCapture: true,
    InitialSamplingPercentage: percent,
    DestinationS3Uri: uri.replace(/\/$/, ""),
    CaptureOptions: [{ CaptureMode: "Input" }, { CaptureMode: "Output" }],
    CaptureContentTypeHeader: {
      CsvContentTypes: ["text/csv"],
      JsonContentTypes: ["application/json"],
    },
  };
}

/** "s3://... (P %)" for plans; undefined when capture is off. */
export function captureSummary(
  config?: {
    EnableCapture?: boolean;
    DestinationS3Uri?: string;
    InitialSamplingPercentage?: number;
  },
): string | undefined {
  return config?.EnableCapture
    ? `${config.DestinationS3Uri} (${config.InitialSamplingPercentage} %)`
    : undefined;
}
