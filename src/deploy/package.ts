/**
 * Build artifacts for deployment: `model.tar.gz` in the layout SageMaker unpacks into
 * /opt/ml/model (the ONNX file and its card at the top), and the Lambda proxy bundled into one
 * ES module and zipped. Both are reproducible: fixed owners, order and timestamps.
 * @module
 */

import { gzipSync } from "node:zlib";
import { basename, dirname, join } from "node:path";
import { cardPathFor, readCard } from "../inference/card.ts";
import { PROJECT_ROOT, sha256Hex, writeFileAtomic } from "../util/fs.ts";

async function run(command: string, args: string[], cwd?: string): Promise<Uint8Array> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    throw new Error(`cannot run ${command}: ${(err as Error).message}`);
  }
  if (out.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

/** Writes `output` (model.tar.gz) with the model and its card; checks the card's checksum first. */
export async function packageModel(
  onnxPath: string,
  output: string,
): Promise<{ bytes: number; sha256: string }> {
  const cardPath = cardPathFor(onnxPath);
  const card = await readCard(cardPath);
  const actual = await sha256Hex(await Deno.readFile(onnxPath));
  if (actual !== card.onnx.sha256) {
    throw new Error(
      `${onnxPath} does not match its card (SHA-256 ${actual}): retrain or restore it`,
    );
  }
  const tar = await run("tar", [
    "--sort=name",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--mtime=@0",
    "--mode=a+rX,u+w,go-w",
    "-cf",
    "-",
    basename(onnxPath),
    basename(cardPath),
  ], dirname(onnxPath));
  const gz = gzipSync(tar, { level: 9 });
  await writeFileAtomic(output, gz);
  return { bytes: gz.length, sha256: await sha256Hex(gz) };
}

/**
 * Bundles the Lambda proxy with its dependencies into `<dir>/index.mjs` and zips it. esbuild is
 * the npm package pinned in deno.lock (`deno bundle` would download its own at run time).
 */
export async function bundleLambda(dir: string): Promise<{ zip: string; bytes: number }> {
  await Deno.mkdir(dir, { recursive: true });
  const module = join(dir, "index.mjs");
  const { build } = await import("esbuild");
  await build({
    entryPoints: [join(PROJECT_ROOT, "src/deploy/lambda.ts")],
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // The SDK's CommonJS parts call require(): give the ES module one.
    banner: {
      js:
        `import { createRequire } from "node:module"; const require = createRequire(import.meta.url);`,
    },
    outfile: module,
    logLevel: "error",
  });
  // A fixed timestamp (1980-01-01, zip's epoch) keeps the archive reproducible.
  await Deno.utime(module, 315532800, 315532800);
  const zip = `${dir}.zip`;
  const tmp = `${zip}.tmp-${Deno.pid}.zip`;
  await run("zip", ["-X", "-j", "-q", tmp, module]);
  await Deno.rename(tmp, zip);
  return { zip, bytes: (await Deno.stat(zip)).size };
}
