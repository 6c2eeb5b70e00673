/**
 * The command-line layer of every task. A task declares its options once (name, type, default,
 * range or choices, environment fallback, one help line) and gets from that declaration:
 * parsing (node:util parseArgs), validation with a message naming the option or variable, a
 * generated `--help` that does none of the task's work, and the exit codes 0 done, 1 failed,
 * 2 bad usage. In src/util because the server (container/) uses it too.
 * @module
 */

import { parseArgs } from "node:util";

interface Common {
  /** One help line (wrapped when long). */
  help: string;
  /** The value's placeholder in the help, e.g. FILE (default: by type). */
  arg?: string;
  /** An environment variable read when the option is absent. */
  env?: string;
  short?: string;
}

/** One option (or, in `environment`, one variable). */
export type OptionSpec =
  | Common & { type: "boolean" }
  | Common & { type: "string"; default?: string; shownDefault?: string; required?: boolean }
  | Common & {
    type: "integer" | "number";
    default?: number;
    shownDefault?: string;
    required?: boolean;
    min?: number;
    max?: number;
    /** `min` itself is refused (a number above it is needed). */
    minExclusive?: boolean;
  }
  | Common & {
    type: "choice";
    choices: readonly string[];
    default?: string;
    required?: boolean;
  }
  | Common & { type: "list"; default?: readonly string[]; required?: boolean };

export type Options = Record<string, OptionSpec>;

/** Free arguments after the options (none unless declared). */
export interface PositionalSpec {
  name: string;
  help: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export interface CommandSpec<O extends Options = Options, E extends Options = Options> {
  /** How it is run, e.g. "deno task train": the usage line starts with it. */
  task: string;
  /** What follows the task name in the usage line (default "[options]"). */
  usage?: string;
  /** What the task does (paragraphs). */
  summary: string;
  options: O;
  /** Settings read from the environment only (validated as options are). */
  environment?: E;
  positionals?: PositionalSpec;
  /** Paragraphs after the option table. */
  notes?: readonly string[];
}

type ValueOf<S> = S extends { type: "boolean" } ? boolean
  : S extends { type: "integer" | "number" } ? number
  : S extends { type: "list" } ? string[]
  : S extends { type: "choice"; choices: readonly (infer C)[] } ? C
  : string;

type AlwaysSet<S> = S extends { type: "boolean" | "list" } ? true
  : S extends { default: unknown } ? true
  : S extends { required: true } ? true
  : false;

/** The parsed values of `O`: undefined only where an option has no default and is optional. */
export type Values<O extends Options> = {
  -readonly [K in keyof O]: AlwaysSet<O[K]> extends true ? ValueOf<O[K]>
    : ValueOf<O[K]> | undefined;
};

export interface Parsed<O extends Options, E extends Options> {
  values: Values<O>;
  env: Values<E>;
  positionals: string[];
}

/** A problem with the command line or environment: exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Throws a UsageError (exit 2 under runCommand). */
export function badUsage(message: string): never {
  throw new UsageError(message);
}

const COMMAND = Symbol("command");

/** A task's declaration; returned as given (typed), and recognisable by isCommand. */
export function defineCommand<
  const O extends Options,
  const E extends Options = Record<never, never>,
>(spec: CommandSpec<O, E>): CommandSpec<O, E> & { environment: E } {
  return Object.assign(spec, { environment: spec.environment ?? ({} as E), [COMMAND]: true });
}

export function isCommand(value: unknown): value is CommandSpec {
  return typeof value === "object" && value !== null && COMMAND in value;
}

/** What a value must be, in words: "an integer between 2 and 20". */
function expectation(spec: OptionSpec): string {
  switch (spec.type) {
    case "integer":
    case "number": {
      const kind = spec.type === "integer" ? "an integer" : "a number";
      const { min, max } = spec;
      if (min !== undefined && max !== undefined && !spec.minExclusive) {
        return `${kind} between ${min} and ${max}`;
      }
      const bounds = [
        min !== undefined ? `${spec.minExclusive ? ">" : ">="} ${min}` : "",
        max !== undefined ? `<= ${max}` : "",
      ].filter(Boolean);
      return bounds.length ? `${kind} ${bounds.join(" and ")}` : kind;
    }
    case "choice":
      return `one of ${spec.choices.join(", ")}`;
    case "list":
      return "a comma-separated list";
    default:
      return "a value";
  }
}

/** `text` as the option's type, or a UsageError naming `label` (--name or the variable). */
function convert(spec: OptionSpec, label: string, text: string): unknown {
  const refuse = (): never => badUsage(`${label} must be ${expectation(spec)}, got "${text}"`);
  switch (spec.type) {
    case "integer":
    case "number": {
      const n = text.trim() === "" ? NaN : Number(text);
      if (!Number.isFinite(n) || (spec.type === "integer" && !Number.isInteger(n))) refuse();
      if (spec.min !== undefined && (spec.minExclusive ? n <= spec.min : n < spec.min)) refuse();
      if (spec.max !== undefined && n > spec.max) refuse();
      return n;
    }
    case "choice":
      return spec.choices.includes(text) ? text : refuse();
    case "list": {
      const items = text.split(",").map((s) => s.trim()).filter(Boolean);
      return items.length ? items : refuse();
    }
    case "boolean":
      if (/^(1|true|yes)$/i.test(text)) return true;
      if (/^(0|false|no|)$/i.test(text)) return false;
      return badUsage(`${label} must be 1 or 0, got "${text}"`);
    default:
      return text;
  }
}

/** A MISSING value: required and not given (reported after every given value is checked). */
const MISSING = Symbol("missing");

function settle(
  spec: OptionSpec,
  label: string,
  given: string | boolean | undefined,
  env: (name: string) => string | undefined,
): unknown {
  if (typeof given === "boolean") return given;
  if (given !== undefined) return convert(spec, label, given);
  const fromEnv = spec.env !== undefined ? env(spec.env) : undefined;
  if (fromEnv !== undefined && fromEnv !== "") return convert(spec, spec.env!, fromEnv);
  if ("required" in spec && spec.required) return MISSING;
  if (spec.type === "boolean") return false;
  if ("default" in spec && spec.default !== undefined) {
    return Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  return spec.type === "list" ? [] : undefined;
}

export type Outcome<O extends Options, E extends Options> =
  | { help: true }
  | ({ help: false } & Parsed<O, E>);

const NEGATIVE = /^-\.?\d/;

/**
 * parseArgs reads "--port -1" as two options: a numeric option followed by a negative number
 * becomes "--port=-1", so that the range check names the option.
 */
function joinNegativeNumbers(argv: string[], numeric: (name: string) => boolean): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (argv[i].startsWith("--") && numeric(argv[i].slice(2)) && NEGATIVE.test(next ?? "")) {
      joined.push(`${argv[i]}=${next}`);
      i++;
    } else joined.push(argv[i]);
  }
  return joined;
}

/** Parses and validates `argv` and the environment; throws UsageError. Exits nothing. */
export function parseCommand<O extends Options, E extends Options>(
  spec: CommandSpec<O, E>,
  argv: string[],
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): Outcome<O, E> {
  const config: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, option] of Object.entries(spec.options)) {
    config[name] = { type: option.type === "boolean" ? "boolean" : "string" };
    if (option.short) config[name].short = option.short;
  }
  const args = joinNegativeNumbers(argv, (name) => {
    const type = spec.options[name]?.type;
    return type === "integer" || type === "number";
  });
  let parsed;
  try {
    parsed = parseArgs({ args, options: config, strict: true, allowPositionals: true });
  } catch (err) {
    badUsage((err as Error).message);
  }
  if (parsed.values.help) return { help: true };
  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    values[name] = settle(option, `--${name}`, parsed.values[name], env);
  }
  const missing = Object.keys(values).find((name) => values[name] === MISSING);
  if (missing) {
    const variable = spec.options[missing].env;
    badUsage(`--${missing} is required${variable ? ` (or ${variable})` : ""}`);
  }
  const vars: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(spec.environment ?? {})) {
    vars[name] = settle(variable, name, env(name) || undefined, () => undefined);
    if (vars[name] === MISSING) badUsage(`${name} is required`);
  }
  const positionals = parsed.positionals;
  const p = spec.positionals;
  if (!p && positionals.length) badUsage(`unexpected argument "${positionals[0]}"`);
  if (p) {
    if (positionals.length < (p.min ?? 0)) badUsage(`${p.name} is required`);
    if (p.max !== undefined && positionals.length > p.max) {
      badUsage(`at most ${p.max} ${p.name}, got ${positionals.length}`);
    }
    const odd = p.choices && positionals.find((a) => !p.choices!.includes(a));
    if (odd) badUsage(`unexpected argument "${odd}" (${p.name}: ${p.choices!.join(" or ")})`);
  }
  return { help: false, values: values as Values<O>, env: vars as Values<E>, positionals };
}

const WIDTH = 100;

/** `text` wrapped to WIDTH, continuation lines indented by `indent`. */
function wrap(text: string, indent: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

/** A paragraph wrapped; lines starting "- " stay list items (continuations indented). */
function paragraph(text: string): string {
  return text.split(/\n(?=- )/).map((item) => wrap(item, item.startsWith("- ") ? 2 : 0))
    .join("\n");
}

function placeholder(spec: OptionSpec): string {
  if (spec.type === "boolean") return "";
  if (spec.arg) return spec.arg;
  return { integer: "N", number: "X", choice: "NAME", list: "A,B", string: "TEXT" }[spec.type];
}

/** What the help adds after an option's own line: range or choices, default, variable. */
function facts(spec: OptionSpec): string {
  const parts: string[] = [];
  if (spec.type === "integer" || spec.type === "number") {
    if (spec.min !== undefined || spec.max !== undefined) parts.push(expectation(spec));
  }
  if (spec.type === "choice") parts.push(expectation(spec));
  const shown = "shownDefault" in spec && spec.shownDefault !== undefined
    ? spec.shownDefault
    : "default" in spec && spec.default !== undefined
    ? String(spec.default)
    : undefined;
  if (shown !== undefined && shown !== "") parts.push(`default: ${shown}`);
  if ("required" in spec && spec.required) parts.push("required");
  if (spec.env) parts.push(`else ${spec.env}`);
  return parts.length ? ` (${parts.join("; ")})` : "";
}

function table(rows: [string, string][]): string[] {
  const width = Math.min(32, Math.max(...rows.map(([left]) => left.length))) + 2;
  return rows.map(([left, right]) =>
    left.length + 2 > width
      ? `  ${left}\n${" ".repeat(width + 2)}${wrap(right, width + 2)}`
      : `  ${left.padEnd(width)}${wrap(right, width + 2)}`
  );
}

/** The generated --help text. */
export function helpText(spec: CommandSpec): string {
  const usage = `Usage: ${spec.task} ${spec.usage ?? "[options]"}`.trimEnd();
  const rows: [string, string][] = Object.entries(spec.options).map(([name, option]) => [
    `${option.short ? `-${option.short}, ` : ""}--${name} ${placeholder(option)}`.trimEnd(),
    option.help + facts(option),
  ]);
  rows.push(["-h, --help", "show this help and exit"]);
  const sections = [usage, ...spec.summary.trim().split(/\n\s*\n/).map(paragraph)];
  if (spec.positionals) {
    const { name, help } = spec.positionals;
    sections.push(["Arguments:", ...table([[name, help]])].join("\n"));
  }
  sections.push(["Options:", ...table(rows)].join("\n"));
  const vars = Object.entries(spec.environment ?? {});
  if (vars.length) {
    sections.push(
      ["Environment:", ...table(vars.map(([name, v]) => [name, v.help + facts(v)]))].join("\n"),
    );
  }
  for (const note of spec.notes ?? []) sections.push(paragraph(note));
  return sections.join("\n\n");
}

/** Parsed values, or: prints the help and exits 0, or prints the problem and exits 2. */
export function parseOrExit<O extends Options, E extends Options>(
  spec: CommandSpec<O, E>,
  argv: string[] = Deno.args,
): Parsed<O, E> {
  try {
    const outcome = parseCommand(spec, argv);
    if (outcome.help) {
      console.log(helpText(spec));
      Deno.exit(0);
    }
    return outcome;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}\n(${spec.task} --help lists the options)`);
    Deno.exit(2);
  }
}

/** How a task's own errors read, and which of them are usage errors (exit 2). */
export interface ErrorPolicy {
  explain?: (err: unknown) => string;
  isUsage?: (err: unknown) => boolean;
}

/**
 * Parses (see parseOrExit), runs `main`, and exits: 2 on a UsageError (or `policy.isUsage`),
 * 1 on any other error (one line, no stack trace), else main's number when it returns one.
 */
export async function runCommand<O extends Options, E extends Options>(
  spec: CommandSpec<O, E>,
  main: (parsed: Parsed<O, E>) => Promise<number | void> | number | void,
  policy: ErrorPolicy = {},
  argv: string[] = Deno.args,
): Promise<void> {
  const parsed = parseOrExit(spec, argv);
  let code: number | void;
  try {
    code = await main(parsed);
  } catch (err) {
    const usage = err instanceof UsageError || (policy.isUsage?.(err) ?? false);
    const message = err instanceof UsageError
      ? err.message
      : policy.explain?.(err) ?? (err as Error)?.message ?? String(err);
    console.error(`error: ${message}`);
    Deno.exit(usage ? 2 : 1);
  }
  if (typeof code === "number" && code !== 0) Deno.exit(code);
}

/** What a declared command's main receives. */
export type ParsedOf<C> = C extends CommandSpec<infer O, infer E> ? Parsed<O, E> : never;
