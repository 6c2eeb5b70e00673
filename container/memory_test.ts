import assert from "node:assert/strict";
import { openLibc, readOnlySegments, releaseStartupMemory, residentMb } from "./memory.ts";

Deno.test("memory: the loader's read-only segments are page-aligned and cover deno's code", () => {
  const libc = openLibc();
  try {
    const segments = readOnlySegments(libc);
    assert.ok(segments.length > 4, `${segments.length} segments`);
    for (const [start, length] of segments) {
      assert.equal(start % 4096n, 0n);
      assert.ok(length > 0n && length % 4096n === 0n);
    }
    const total = segments.reduce((sum, [, length]) => sum + length, 0n);
    assert.ok(total > 50n << 20n, `${total >> 20n} MB`); // deno's code alone is larger
  } finally {
    libc.close();
  }
});

Deno.test("memory: releasing start-up memory lowers the resident set", () => {
  const before = residentMb();
  const release = releaseStartupMemory();
  assert.equal(release.skipped, undefined);
  assert.ok(release.segments > 0);
  assert.ok(residentMb() < before, `${before} MB -> ${residentMb()} MB`);
});
