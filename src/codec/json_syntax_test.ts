import assert from "node:assert/strict";
import { jsonSyntaxProblem } from "./json_syntax.ts";

Deno.test("JSON syntax errors in our words: the first bad character, line and column", () => {
  assert.equal(jsonSyntaxProblem("{not json"), 'unexpected "n" at character 2 (line 1, column 2)');
  assert.equal(
    jsonSyntaxProblem('[{"Pclass": 1,\n  "Sex": male}]'),
    'unexpected "m" at character 25 (line 2, column 10)',
  );
  assert.match(jsonSyntaxProblem('[{"Pclass": 1'), /ends too early/);
  assert.match(jsonSyntaxProblem(""), /ends too early/);
  assert.equal(jsonSyntaxProblem("[1] x"), 'unexpected "x" at character 5 (line 1, column 5)');
  assert.equal(jsonSyntaxProblem("[1,]"), 'unexpected "]" at character 4 (line 1, column 4)');
  assert.equal(jsonSyntaxProblem('{"a":01}'), 'unexpected "1" at character 7 (line 1, column 7)');
  assert.equal(jsonSyntaxProblem('[1, {"a": [true, null, -2.5e3, "\\u00e9\\n"]}]'), "");
});

Deno.test("JSON syntax: agrees with JSON.parse on which texts are JSON (random mutations)", () => {
  // A reference outside this module: the engine's own parser decides validity.
  const seeds = [
    '{"Pclass":1,"Sex":"male","Age":22.5,"Name":"Braund, Mr. Owen"}',
    '[1,[2,{"x":null}],"\\"q\\""]',
  ];
  let state = 7;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648);
  const alphabet = ' {}[]:,"\\0123456789.eE+-truefalsnl\n\tx';
  for (let n = 0; n < 20000; n++) {
    const chars = [...seeds[n % seeds.length]];
    for (let k = next() % 3; k >= 0; k--) {
      const at = next() % (chars.length + 1);
      const op = next() % 3;
      const c = alphabet[next() % alphabet.length];
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, c);
      else chars[at] = c;
    }
    const text = chars.join("");
    let valid = true;
    try {
      JSON.parse(text);
    } catch {
      valid = false;
    }
    assert.equal(jsonSyntaxProblem(text) === "", valid, JSON.stringify(text));
  }
});

Deno.test("JSON syntax: absurd nesting gets a message, not a crash", () => {
  assert.match(jsonSyntaxProblem("[".repeat(200_000)), /nested too deeply|ends too early/);
});
