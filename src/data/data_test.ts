import assert from "node:assert/strict";
import { join } from "node:path";
import { SHARED_DATA, withTempDir } from "../../tests/helpers.ts";
import {
  ChecksumError,
  DataUnavailableError,
  obtainDataset,
  obtainFile,
  TRAIN_FILE,
} from "./dataset.ts";
import { DataError, loadTitanicCsv } from "./load.ts";

/** Serves `files` on a free loopback port for the duration of `fn`. */
async function withServer(
  files: Record<string, Uint8Array>,
  fn: (baseUrl: string, hits: string[]) => Promise<void>,
): Promise<void> {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const name = new URL(req.url).pathname.slice(1);
    hits.push(name);
    const body = files[name];
    return body
      ? new Response(body as Uint8Array<ArrayBuffer>)
      : new Response("nope", { status: 404 });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, hits);
  } finally {
    await server.shutdown();
  }
}

Deno.test("dataset: copies from TITANIC_DATA_DIR, verifies, then serves from the cache", async () => {
  await withTempDir(async (cache) => {
    const paths = await obtainDataset({ cacheDir: cache, dataDir: SHARED_DATA });
    assert.equal(paths.train, join(cache, "train.csv"));
    assert.deepEqual(
      await Deno.readFile(paths.train),
      await Deno.readFile(join(SHARED_DATA, "train.csv")),
    );
    // Second call: the cache is used even though the source is gone.
    const again = await obtainFile(TRAIN_FILE, { cacheDir: cache, dataDir: "/nonexistent" });
    assert.equal(again, paths.train);
  });
});

Deno.test("dataset: downloads over HTTP and verifies the checksum", async () => {
  const train = await Deno.readFile(join(SHARED_DATA, "train.csv"));
  const test = await Deno.readFile(join(SHARED_DATA, "test.csv"));
  await withServer({ "train.csv": train, "test.csv": test }, async (baseUrl, hits) => {
    await withTempDir(async (cache) => {
      const paths = await obtainDataset({ cacheDir: cache, baseUrl });
      assert.deepEqual(hits, ["train.csv", "test.csv"]);
      assert.deepEqual(await Deno.readFile(paths.test), test);
    });
  });
});

Deno.test("dataset: a corrupted download is refused and nothing is cached", async () => {
  const corrupt = await Deno.readFile(join(SHARED_DATA, "train.csv"));
  corrupt[100] ^= 1;
  await withServer({ "train.csv": corrupt }, async (baseUrl) => {
    await withTempDir(async (cache) => {
      await assert.rejects(
        obtainFile(TRAIN_FILE, { cacheDir: cache, baseUrl }),
        (err) =>
          err instanceof ChecksumError &&
          /train\.csv from http.*expected 7d118fef/.test(err.message),
      );
      assert.deepEqual([...Deno.readDirSync(cache)], []);
    });
  });
  await withServer({}, async (baseUrl) => {
    await withTempDir(async (cache) => {
      await assert.rejects(
        obtainFile(TRAIN_FILE, { cacheDir: cache, baseUrl }),
        DataUnavailableError,
      );
    });
  });
});

Deno.test("dataset: a corrupted cache file is replaced from the source", async () => {
  await withTempDir(async (cache) => {
    await Deno.writeTextFile(join(cache, "train.csv"), "PassengerId\n1\n");
    const path = await obtainFile(TRAIN_FILE, { cacheDir: cache, dataDir: SHARED_DATA });
    assert.equal(
      (await Deno.readFile(path)).length,
      (await Deno.stat(join(SHARED_DATA, "train.csv"))).size,
    );
  });
});

Deno.test("dataset: a wrong file in TITANIC_DATA_DIR is refused", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "train.csv"), "not the data\n");
    await withTempDir(async (cache) => {
      await assert.rejects(
        obtainFile(TRAIN_FILE, { cacheDir: cache, dataDir: dir }),
        ChecksumError,
      );
    });
  });
});

Deno.test("load: train.csv and test.csv validate", () => {
  const train = loadTitanicCsv(join(SHARED_DATA, "train.csv"), { labelled: true });
  assert.equal(train.columns.length, 891);
  assert.equal(train.labels!.reduce((a, b) => a + b, 0), 342);
  assert.equal(train.columns.numbers.Age.filter(Number.isNaN).length, 177);
  assert.equal(train.columns.strings.Embarked.filter((e) => e === "").length, 2);
  assert.equal(train.columns.strings.Name[0], "Braund, Mr. Owen Harris");
  const test = loadTitanicCsv(join(SHARED_DATA, "test.csv"));
  assert.equal(test.columns.length, 418);
  assert.equal(test.columns.numbers.Fare.filter(Number.isNaN).length, 1);
});

async function brokenCopy(edit: (lines: string[]) => void, fn: (path: string) => void) {
  const lines = (await Deno.readTextFile(join(SHARED_DATA, "train.csv"))).split("\n");
  edit(lines);
  await withTempDir(async (dir) => {
    const path = join(dir, "broken.csv");
    await Deno.writeTextFile(path, lines.join("\n"));
    fn(path);
  });
}

function assertDataError(
  fn: () => unknown,
  line: number | undefined,
  column: string,
  problem: RegExp,
) {
  try {
    fn();
    assert.fail("expected a DataError");
  } catch (err) {
    assert.ok(err instanceof DataError, String(err));
    assert.equal(err.line, line);
    assert.equal(err.column, column);
    assert.match(err.problem, problem);
    assert.match(err.message, /broken\.csv/);
  }
}

Deno.test("load: a missing column names the file and the column", async () => {
  await brokenCopy(
    (lines) => {
      for (let i = 0; i < lines.length; i++) lines[i] = lines[i].replace(/,[^,]*$/, "");
    },
    (path) =>
      assertDataError(() => loadTitanicCsv(path, { labelled: true }), 1, "Embarked", /missing/),
  );
});

Deno.test("load: an unparsable number names the line and the column", async () => {
  await brokenCopy(
    (lines) => {
      lines[10] = lines[10].replace(",female,14,1,0,", ",female,four,1,0,");
    },
    (path) =>
      assertDataError(
        () => loadTitanicCsv(path, { labelled: true }),
        11,
        "Age",
        /expected a number, got "four"/,
      ),
  );
});

Deno.test("load: an impossible value names the line and the column", async () => {
  await brokenCopy(
    (lines) => {
      lines[5] = lines[5].replace(/^5,0,3,/, "5,0,7,");
    },
    (path) =>
      assertDataError(
        () => loadTitanicCsv(path, { labelled: true }),
        6,
        "Pclass",
        /one of 1, 2, 3/,
      ),
  );
  await brokenCopy(
    (lines) => {
      lines[3] = lines[3].replace(/^3,1,/, "3,2,");
    },
    (path) =>
      assertDataError(() => loadTitanicCsv(path, { labelled: true }), 4, "Survived", /one of 0, 1/),
  );
});
