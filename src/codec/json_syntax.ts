/**
 * Where a JSON text stops being JSON, in the project's words: callers get the character, line
 * and column of the first offending character (or that the text ended too early), never the
 * JavaScript engine's own message, whose wording changes between versions.
 * @module
 */

/** The problem with `text`, which JSON.parse rejected; "" when it is valid JSON after all. */
export function jsonSyntaxProblem(text: string): string {
  const at = firstInvalid(text);
  if (at === -1) return "";
  if (at === -2) return "the JSON is nested too deeply to read";
  if (at >= text.length) return "the JSON ends too early (a value, bracket or quote is missing)";
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  const column = at - before.lastIndexOf("\n");
  const shown = JSON.stringify(text[at]);
  return `unexpected ${shown} at character ${at + 1} (line ${line}, column ${column})`;
}

/**
 * Index of the first character where `text` cannot continue as one JSON value (text.length
 * when it ends too early), -1 when it is valid, -2 when it nests too deeply to scan. A small recursive-descent scanner, written
 * for the error position only: the value itself comes from JSON.parse.
 */
function firstInvalid(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    for (const c of word) if (text[i++] !== c) (i--, fail());
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail();
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) (i += k, fail());
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "x") || i >= text.length) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!match || match[0] === "" || match[0] === "-") fail();
    i += match![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail();
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail();
      }
    }
    if (c === '"') return string();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return number();
    fail();
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (at) {
    // A position, or the engine's stack limit on absurdly deep nesting.
    return typeof at === "number" ? Math.min(at, text.length) : -2;
  }
}
