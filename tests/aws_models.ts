/**
 * AWS's own rules for API inputs, read from botocore's JSON service models (Debian
 * `python3-botocore`, installed by .ci/setup), so that tests can check what the deploy code sends
 * without reaching AWS. Nothing here is copied by hand from the models: required members, types,
 * min/max (lengths of strings, blobs, lists and maps; values of numbers), enums, patterns (Java
 * regexes, translated and matched in full, as the service does) and nested shapes all come from
 * `botocore/data/<service>/<api-version>/service-2.json`.
 *
 * Use:
 * ```ts
 * const violations = validateInput("sagemaker", "CreateModel", input); // [] when valid
 * const calls = callsOfMock(mockClient(client));                     // aws-sdk-client-mock
 * const calls = captureCalls(client);                                // or the middleware stack
 * assertValidCalls(calls);                                           // throws listing each problem
 * ```
 * `service` is the botocore directory name ("sagemaker", "application-autoscaling", "ecr",
 * "sagemaker-runtime", "cloudwatch") or any spelling that matches it once case and
 * non-alphanumerics are dropped (the SDK's serviceId "Application Auto Scaling", a client class
 * name "ApplicationAutoScalingClient").
 * @module
 */

/** Where Debian's python3-botocore keeps the models (override with BOTOCORE_DATA). */
export const BOTOCORE_DATA = Deno.env.get("BOTOCORE_DATA") ??
  "/usr/lib/python3/dist-packages/botocore/data";

interface MemberRef {
  shape: string;
}

/** One shape of a service model, as botocore stores it. */
export interface Shape {
  type:
    | "string"
    | "integer"
    | "long"
    | "float"
    | "double"
    | "boolean"
    | "timestamp"
    | "blob"
    | "list"
    | "map"
    | "structure";
  required?: string[];
  members?: Record<string, MemberRef>;
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  enum?: string[];
  pattern?: string;
}

/** A loaded service model. */
export interface ServiceModel {
  /** botocore's directory name, e.g. "application-autoscaling". */
  name: string;
  apiVersion: string;
  serviceId: string;
  operations: Record<string, { input?: MemberRef }>;
  shapes: Record<string, Shape>;
}

/** One broken rule: where (a path into the input), which rule, and AWS's wording of it. */
export interface Violation {
  service: string;
  operation: string;
  /** e.g. "ProductionVariants[0].InstanceType" */
  path: string;
  rule: "required" | "type" | "min" | "max" | "enum" | "pattern" | "unknown-member";
  message: string;
}

/** One API call as made: the service (any spelling {@link loadServiceModel} takes), operation, input. */
export interface CapturedCall {
  service: string;
  operation: string;
  input: unknown;
}

const normalize = (name: string) =>
  name.toLowerCase().replace(/Client$/i, "").replace(/[^a-z0-9]/g, "");
const models = new Map<string, ServiceModel>();
let directories: string[] | undefined;

/** Loads (once) the newest API version of a service's model. */
export function loadServiceModel(service: string): ServiceModel {
  const cached = models.get(normalize(service));
  if (cached) return cached;
  try {
    directories ??= [...Deno.readDirSync(BOTOCORE_DATA)].filter((e) => e.isDirectory).map((e) =>
      e.name
    );
  } catch {
    throw new Error(
      `botocore's service models are missing at ${BOTOCORE_DATA}: install python3-botocore ` +
        "(.ci/setup does)",
    );
  }
  const wanted = normalize(service.replace(/Client$/, ""));
  const name = directories.find((d) => normalize(d) === wanted);
  if (!name) throw new Error(`no botocore model for service "${service}"`);
  const versions = [...Deno.readDirSync(`${BOTOCORE_DATA}/${name}`)].map((e) => e.name).sort();
  const apiVersion = versions[versions.length - 1];
  const raw = JSON.parse(
    Deno.readTextFileSync(`${BOTOCORE_DATA}/${name}/${apiVersion}/service-2.json`),
  );
  const model: ServiceModel = {
    name,
    apiVersion,
    serviceId: raw.metadata.serviceId,
    operations: raw.operations,
    shapes: raw.shapes,
  };
  models.set(normalize(service), model);
  models.set(normalize(name), model);
  return model;
}

// --- Java regexes as JavaScript ones ------------------------------------------------------------

/** Java's POSIX classes (ASCII-only, as in java.util.regex by default), as class contents. */
const POSIX: Record<string, string> = {
  Print: "\\x20-\\x7E",
  Graph: "\\x21-\\x7E",
  Alpha: "a-zA-Z",
  Digit: "0-9",
  Alnum: "a-zA-Z0-9",
  Upper: "A-Z",
  Lower: "a-z",
  Punct: "!-\\/:-@\\[-`{-~",
  Space: " \\t\\n\\x0B\\f\\r",
  XDigit: "0-9a-fA-F",
  Cntrl: "\\x00-\\x1F\\x7F",
  Blank: " \\t",
};
const SYNTAX = new Set([..."^$\\.*+?()[]{}|/"]);

/**
 * Translates a Java regular expression (java.util.regex, as AWS services use) into a JavaScript
 * one with the `u` flag. Handles what the models use: \p{Print} and the other POSIX classes
 * (ASCII in Java), \A and \z, surrogate pairs written as \uD800\uDC00 (code points under `u`),
 * escapes of ordinary characters (\_ \  \@, errors under `u`), and quantifiers on anchors
 * (`${1,128}`). Throws on Java features with other meanings (class intersections, nested
 * classes, possessive quantifiers, inline flags) rather than guessing.
 */
export function javaRegexToJs(java: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < java.length; i++) {
    const c = java[i];
    if (c === "\\") {
      const n = java[++i];
      if (n === undefined) throw new Error(`trailing backslash in /${java}/`);
      if (n === "p" || n === "P") {
        const m = /^\{(\w+)\}/.exec(java.slice(i + 1));
        if (!m) throw new Error(`\\${n} without {Name} in /${java}/`);
        i += m[0].length;
        const posix = POSIX[m[1]];
        if (posix) {
          if (n === "P") out += inClass ? thrower(java, "\\P{posix} in a class") : `[^${posix}]`;
          else out += inClass ? posix : `[${posix}]`;
        } else {
          // Unicode categories and binary properties (L, M, N, P, S, Z, Lu, ASCII ...) exist in JS.
          new RegExp(`\\p{${m[1]}}`, "u");
          out += `\\${n}{${m[1]}}`;
        }
      } else if (n === "A") out += "^";
      else if (n === "z" || n === "Z") out += "$";
      else if (n === "Q" || n === "E" || n === "G") thrower(java, `\\${n}`);
      else if (/[0-9a-zA-Z]/.test(n)) out += `\\${n}`; // \d \s \w \uXXXX \xXX \t \n backrefs
      else if (SYNTAX.has(n) || (n === "-" && inClass)) out += `\\${n}`;
      else out += n; // \_ \- \  \@ ... are the character itself
      continue;
    }
    if (inClass) {
      if (c === "[") thrower(java, "a class inside a class (Java union)");
      if (c === "&" && java[i + 1] === "&") thrower(java, "class intersection &&");
      if (c === "]") inClass = false;
      out += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      if (java[i + 1] === "^") out += java[++i];
      if (java[i + 1] === "]") out += `\\${java[++i]}`; // a leading ] is literal in Java
      continue;
    }
    if (c === "(" && java[i + 1] === "?" && /^[a-zA-Z-]/.test(java[i + 2] ?? "")) {
      thrower(java, "inline flags");
    }
    if ((c === "*" || c === "+" || c === "?" || c === "}") && java[i + 1] === "+") {
      thrower(java, "a possessive quantifier");
    }
    if ((c === "$" || c === "^") && java[i + 1] === "{") {
      const m = /^\{\d+(,\d*)?\}/.exec(java.slice(i + 1));
      if (m) {
        out += c; // a quantified anchor is still just the anchor
        i += m[0].length;
        continue;
      }
    }
    out += c;
  }
  if (inClass) throw new Error(`unterminated class in /${java}/`);
  return out;
}

function thrower(java: string, what: string): never {
  throw new Error(`Java regex /${java}/ uses ${what}, which has no JavaScript translation here`);
}

const compiled = new Map<string, RegExp>();

/** The model pattern as a full-match JavaScript RegExp (AWS matches the whole value). */
export function fullMatch(java: string): RegExp {
  let re = compiled.get(java);
  if (!re) {
    re = new RegExp(`^(?:${javaRegexToJs(java)})$`, "u");
    compiled.set(java, re);
  }
  return re;
}

// --- validation --------------------------------------------------------------------------------

const INT32 = 2 ** 31;

/** Every rule of the operation's input shape that `input` breaks ([] when AWS would take it). */
export function validateInput(service: string, operation: string, input: unknown): Violation[] {
  const model = loadServiceModel(service);
  const op = model.operations[operation];
  if (!op) throw new Error(`${model.name} has no operation ${operation}`);
  const violations: Violation[] = [];
  const report = (path: string, rule: Violation["rule"], message: string) =>
    violations.push({ service: model.name, operation, path: path || "(input)", rule, message });
  if (op.input) checkShape(model, op.input.shape, input ?? {}, "", report);
  return violations;
}

function checkShape(
  model: ServiceModel,
  shapeName: string,
  value: unknown,
  path: string,
  report: (path: string, rule: Violation["rule"], message: string) => void,
): void {
  const shape = model.shapes[shapeName];
  const at = path || "(input)";
  const bounds = (size: number, unit: string) => {
    if (shape.min !== undefined && size < shape.min) {
      report(
        path,
        "min",
        `${at}: ${unit} ${size} is below the minimum ${shape.min} (${shapeName})`,
      );
    }
    if (shape.max !== undefined && size > shape.max) {
      report(
        path,
        "max",
        `${at}: ${unit} ${size} is above the maximum ${shape.max} (${shapeName})`,
      );
    }
  };
  const wrongType = (expected: string) =>
    report(path, "type", `${at}: expected ${expected} (${shapeName}), got ${describe(value)}`);
  switch (shape.type) {
    case "string": {
      if (typeof value !== "string") return wrongType("a string");
      bounds(value.length, "length");
      if (shape.enum && !shape.enum.includes(value)) {
        report(
          path,
          "enum",
          `${at}: "${value}" is not one of ${shapeName}'s ${shape.enum.length} values`,
        );
      }
      if (shape.pattern && !fullMatch(shape.pattern).test(value)) {
        report(
          path,
          "pattern",
          `${at}: "${value}" does not match ${shapeName}'s pattern ${shape.pattern}`,
        );
      }
      return;
    }
    case "integer":
    case "long": {
      const ok = typeof value === "number" && Number.isInteger(value) &&
        (shape.type === "long" ? Number.isSafeInteger(value) : value >= -INT32 && value < INT32);
      if (!ok) return wrongType(`an ${shape.type}`);
      return bounds(value as number, "value");
    }
    case "float":
    case "double": {
      // The JSON protocols carry finite numbers; NaN and Infinity are no value a limit accepts.
      // A float is 32-bit on AWS's side: 1e300 is Infinity there.
      const held = shape.type === "float" && typeof value === "number" ? Math.fround(value) : value;
      if (typeof held !== "number" || !Number.isFinite(held)) {
        return wrongType(shape.type === "float" ? "a finite 32-bit float" : "a finite number");
      }
      return bounds(value as number, "value");
    }
    case "boolean":
      if (typeof value !== "boolean") wrongType("a boolean");
      return;
    case "timestamp":
      if (!(value instanceof Date && !isNaN(value.getTime()))) wrongType("a Date");
      return;
    case "blob": {
      const size = value instanceof Uint8Array
        ? value.length
        : typeof value === "string"
        ? new TextEncoder().encode(value).length
        : -1;
      if (size < 0) return wrongType("bytes");
      return bounds(size, "size");
    }
    case "list": {
      if (!Array.isArray(value)) return wrongType("a list");
      bounds(value.length, "entries");
      value.forEach((item, i) =>
        checkShape(model, shape.member!.shape, item, `${path}[${i}]`, report)
      );
      return;
    }
    case "map": {
      if (!isPlainObject(value)) return wrongType("a map");
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      bounds(entries.length, "entries");
      for (const [k, v] of entries) {
        checkShape(model, shape.key!.shape, k, `${path}{key ${JSON.stringify(k)}}`, report);
        checkShape(model, shape.value!.shape, v, `${path}.${k}`, report);
      }
      return;
    }
    case "structure": {
      if (!isPlainObject(value)) return wrongType("a structure");
      const members = shape.members ?? {};
      for (const name of shape.required ?? []) {
        if (value[name] === undefined || value[name] === null) {
          report(join(path, name), "required", `${join(path, name)} is required (${shapeName})`);
        }
      }
      for (const [name, v] of Object.entries(value)) {
        if (v === undefined) continue;
        const member = members[name];
        if (!member) {
          report(
            join(path, name),
            "unknown-member",
            `${join(path, name)}: ${shapeName} has no member ${name}`,
          );
          continue;
        }
        checkShape(model, member.shape, v, join(path, name), report);
      }
      return;
    }
  }
}

const join = (path: string, name: string) => (path ? `${path}.${name}` : name);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Uint8Array) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value;
}

// --- capturing calls ---------------------------------------------------------------------------

type SdkClient = {
  config: { serviceId?: string };
  // deno-lint-ignore no-explicit-any
  middlewareStack: any;
  constructor: { name: string };
};
// deno-lint-ignore no-explicit-any
type SdkCommand = { input: any; constructor: { name: string } };

const operationOf = (command: SdkCommand) => command.constructor.name.replace(/Command$/, "");

/**
 * Records every command a client sends, through its middleware stack (the "initialize" step, so
 * the input is exactly what the caller built). Use it where requests really go out (e.g. to a
 * loopback emulator); aws-sdk-client-mock replaces `send` and skips middleware, so with a mock
 * use {@link callsOfMock}.
 */
export function captureCalls(client: SdkClient): CapturedCall[] {
  const calls: CapturedCall[] = [];
  const service = client.config.serviceId ?? client.constructor.name;
  client.middlewareStack.add(
    // deno-lint-ignore no-explicit-any
    (next: any, context: { commandName?: string }) => (args: { input: unknown }) => {
      calls.push({
        service,
        operation: String(context.commandName).replace(/Command$/, ""),
        input: args.input,
      });
      return next(args);
    },
    { step: "initialize", name: "captureCallsForModelChecks", priority: "high" },
  );
  return calls;
}

/** The calls an aws-sdk-client-mock mock received, in order. */
export function callsOfMock(
  // deno-lint-ignore no-explicit-any
  mock: { calls(): { args: any[] }[] },
  client: SdkClient,
): CapturedCall[] {
  const service = client.config.serviceId ?? client.constructor.name;
  return mock.calls().map((call) => {
    const command = call.args[0] as SdkCommand;
    return { service, operation: operationOf(command), input: command.input };
  });
}

/** Every violation over a list of calls. */
export function validateCalls(calls: CapturedCall[]): Violation[] {
  return calls.flatMap((c) => validateInput(c.service, c.operation, c.input));
}

/** Throws an error listing every violation (one line each), or returns when there are none. */
export function assertValidCalls(calls: CapturedCall[]): void {
  const violations = validateCalls(calls);
  if (violations.length > 0) {
    throw new Error(
      `${violations.length} input(s) break AWS's service models:\n` +
        violations.map((v) => `  ${v.service}.${v.operation} ${v.message}`).join("\n"),
    );
  }
}
