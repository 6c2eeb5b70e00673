/**
 * Resource names and ownership tags. A name is a readable part and a hash of everything that
 * defines the resource; when AWS's 63-character limit bites, the readable part is shortened and
 * the hash kept, so a changed setting always gives a new name (and a redeploy rolls the
 * endpoint) and two endpoints never share a name. Ownership is in tags, not names.
 * @module
 */

/** SageMaker's limit for model, endpoint config, endpoint and job names. */
export const MAX_NAME_LENGTH = 63;

/** The tag every resource deploy creates carries, naming this project. */
export const PROJECT_TAG = { Key: "project", Value: "titanic-deno" } as const;
/** The tag naming the endpoint a model or config belongs to. */
export const ENDPOINT_TAG_KEY = "endpoint";
/** The tag naming the model a transform job ran. */
export const MODEL_TAG_KEY = "model";

export interface Tag {
  Key: string;
  Value: string;
}

/** The tags of a resource owned by `endpoint`. */
export function ownershipTags(endpoint: string): Tag[] {
  return [{ ...PROJECT_TAG }, { Key: ENDPOINT_TAG_KEY, Value: endpoint }];
}

/** True when `tags` say the resource is this project's and belongs to `endpoint`. */
export function ownedBy(tags: readonly { Key?: string; Value?: string }[], endpoint: string) {
  const value = (key: string) => tags.find((t) => t.Key === key)?.Value;
  return value(PROJECT_TAG.Key) === PROJECT_TAG.Value && value(ENDPOINT_TAG_KEY) === endpoint;
}

/** A short stable hash of a value (FNV-1a over its JSON), for resource names. */
export function shortHash(value: unknown): string {
  let h = 0x811c9dc5;
  for (const c of new TextEncoder().encode(JSON.stringify(value))) {
    h ^= c;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * `<readable>-<hash>` within `max` characters: the readable part is cut (and any hyphens it
 * would then end with dropped), never the hash. The result matches SageMaker's name pattern
 * when `readable` is letters, digits and hyphens.
 */
export function hashedName(readable: string, hash: string, max = MAX_NAME_LENGTH): string {
  const head = readable.slice(0, max - hash.length - 1).replace(/-+$/, "");
  return head ? `${head}-${hash}` : hash;
}

/** A name for a one-off resource (a job): readable part, then a UTC time stamp, within 63. */
export function timestampedName(readable: string, now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "").replace(/[-:T]/g, "");
  return hashedName(readable, stamp);
}
