// Compiles the anchor contracts with solc-js 0.8.28 (pinned in tests/js/package.json) and writes
// one JSON artifact per contract: {contract, solc, abi, bytecode, deployedBytecode}.
//
//   node anchor/contracts/compile.mjs                 write anchor/contracts/build/*.json
//   node anchor/contracts/compile.mjs --check         recompile in memory; exit 1 naming each
//                                                     artifact that differs from the file on disk
//   node anchor/contracts/compile.mjs --extra F.sol --out DIR [--check]
//                                                     the same for every deployable contract of
//                                                     F.sol alone, into DIR/<Contract>.json
//
// Exit codes: 0 done / up to date; 1 artifacts differ (--check); 2 usage or compile error, or a
// warning in one of the project's own contracts (they are kept warning-free).
//
// Settings are fixed so that the bytecode is reproducible and independent of where the checkout
// lives: sources are named by bare file name and no metadata (CBOR, IPFS/Swarm hash) is appended.
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SOLC_VERSION = "0.8.28";
const HERE = dirname(fileURLToPath(import.meta.url));
const BUILD_DIR = join(HERE, "build");
// The project's contracts, each with the one contract of that name to emit an artifact for.
// Interfaces declared alongside them (EligibilityGate.sol) get no artifact.
const PROJECT = ["Groth16Verifier", "AnchorRegistry", "EligibilityGate"];

const fail = (code, msg) => {
  console.error(msg);
  process.exit(code);
};

// ---- arguments ---------------------------------------------------------------------------------
const args = process.argv.slice(2);
let check = false;
let extra = null;
let outDir = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--check") check = true;
  else if (a === "--extra" && i + 1 < args.length) extra = resolve(args[++i]);
  else if (a === "--out" && i + 1 < args.length) outDir = resolve(args[++i]);
  else fail(2, `unknown or incomplete argument: ${a}\nusage: compile.mjs [--check] [--extra FILE.sol --out DIR]`);
}
if ((extra === null) !== (outDir === null)) fail(2, "--extra and --out go together");

// ---- solc from tests/js/node_modules -----------------------------------------------------------
const requireFromTests = createRequire(join(HERE, "..", "..", "tests", "js", "package.json"));
let solc;
try {
  solc = requireFromTests("solc");
} catch (e) {
  fail(2, `solc not found in tests/js/node_modules: run npm ci --prefix tests/js (${e.message})`);
}
if (!solc.version().startsWith(`${SOLC_VERSION}+`)) {
  fail(2, `solc ${solc.version()} found, ${SOLC_VERSION} required (tests/js/package.json)`);
}

// ---- compile -----------------------------------------------------------------------------------
/** Compiles `files` (absolute paths) together; returns solc's output, exiting 2 on errors. */
function compile(files, { warningsFatal }) {
  const sources = {};
  for (const f of files) sources[basename(f)] = { content: readFileSync(f, "utf8") };
  const searchDirs = [...new Set(files.map((f) => dirname(f))), HERE];
  // Imports are looked up by bare file name beside the compiled files, then beside this script.
  const findImports = (path) => {
    for (const d of searchDirs) {
      const p = join(d, path);
      if (existsSync(p)) return { contents: readFileSync(p, "utf8") };
    }
    return { error: `import not found: ${path}` };
  };
  const input = {
    language: "Solidity",
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      viaIR: false,
      metadata: { bytecodeHash: "none", appendCBOR: false },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const diags = output.errors ?? [];
  for (const d of diags) console.error((d.formattedMessage ?? d.message).trimEnd());
  if (diags.some((d) => d.severity === "error")) fail(2, "compilation failed");
  if (warningsFatal && diags.some((d) => d.severity === "warning")) {
    fail(2, "compilation produced warnings; the project's contracts are kept warning-free");
  }
  return output;
}

/** Recursively sorts object keys, so the artifact's text depends only on its content. */
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  }
  return v;
}

function artifactText(name, c) {
  const artifact = {
    contract: name,
    solc: SOLC_VERSION,
    abi: canonical(c.abi),
    bytecode: `0x${c.evm.bytecode.object}`,
    deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
  };
  return `${JSON.stringify(artifact, null, 2)}\n`;
}

// ---- collect artifacts: Map<path, text> --------------------------------------------------------
const artifacts = new Map();
if (extra === null) {
  const out = compile(PROJECT.map((n) => join(HERE, `${n}.sol`)), { warningsFatal: true });
  for (const name of PROJECT) {
    const c = out.contracts?.[`${name}.sol`]?.[name];
    if (!c) fail(2, `${name}.sol did not produce contract ${name}`);
    artifacts.set(join(BUILD_DIR, `${name}.json`), artifactText(name, c));
  }
} else {
  if (!existsSync(extra)) fail(2, `no such file: ${extra}`);
  const out = compile([extra], { warningsFatal: false });
  const contracts = out.contracts?.[basename(extra)] ?? {};
  // Deployable contracts only: interfaces and abstract contracts have no bytecode.
  for (const name of Object.keys(contracts).sort()) {
    const c = contracts[name];
    if (c.evm.bytecode.object === "") continue;
    artifacts.set(join(outDir, `${name}.json`), artifactText(name, c));
  }
  if (artifacts.size === 0) fail(2, `${extra} has no deployable contract`);
}

// ---- write or check ----------------------------------------------------------------------------
if (check) {
  const stale = [];
  for (const [path, text] of artifacts) {
    if (!existsSync(path) || readFileSync(path, "utf8") !== text) stale.push(path);
  }
  for (const p of stale) console.error(`differs from a fresh compile: ${relative(process.cwd(), p)}`);
  if (stale.length > 0) {
    console.error("rerun: node anchor/contracts/compile.mjs");
    process.exit(1);
  }
  console.log(`${artifacts.size} artifacts up to date (solc ${SOLC_VERSION})`);
} else {
  for (const [path, text] of artifacts) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    const size = (JSON.parse(text).deployedBytecode.length - 2) / 2;
    console.log(`wrote ${relative(process.cwd(), path)} (deployed ${size} bytes)`);
  }
}
