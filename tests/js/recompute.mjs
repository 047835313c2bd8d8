// Recomputes every hash in tests/vectors/spec-vectors.json from its inputs, following SPEC.md,
// with circomlibjs's poseidon and nothing of healthzk's. Exits 0 and prints "N passed, 0 failed"
// when everything matches; exits 1 naming each mismatch.
import { buildPoseidon } from "circomlibjs";
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? new URL("../vectors/spec-vectors.json", import.meta.url);
const v = JSON.parse(readFileSync(file, "utf8"));
const poseidon = await buildPoseidon();
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const H = (xs) => BigInt(poseidon.F.toString(poseidon(xs.map((x) => BigInt(x)))));
const hex = (x) => "0x" + BigInt(x).toString(16).padStart(64, "0");
const ascii = (s) => BigInt("0x" + Buffer.from(s, "utf8").toString("hex"));
const signed = (c) => { const n = BigInt(c); return n < 0n ? R + n : n; };

let passed = 0, failed = 0;
const eq = (what, got, want) => {
  if (hex(got) === want) passed++;
  else { failed++; console.error(`MISMATCH ${what}: computed ${hex(got)}, vectors say ${want}`); }
};

// 1. Poseidon itself.
v.poseidon.forEach((c, i) => eq(`poseidon #${i}`, H(c.inputs), c.output));

// 2. Domain tags: the ASCII bytes as a big-endian integer.
for (const [k, t] of Object.entries(v.tags)) eq(`tag ${k}`, ascii(t.ascii), t.value);
const TAG_CRED = ascii("healthzk/credential/v1"), TAG_POLICY = ascii("healthzk/policy/v1"), TAG_SET = ascii("healthzk/set-interval/v1");

// 3. Holder commitment, scope, nullifier.
const h = v.holder;
eq("holder commitment", H([h.secret]), h.commitment);
eq("scope", ascii(h.scope_text), h.scope);
eq("nullifier", H([h.secret, h.scope]), h.nullifier);

// 4. Credential commitment.
const c = v.credential;
const lo = H(c.slots.slice(0, 8)), hi = H(c.slots.slice(8, 16));
eq("slot hash lo", lo, c.slot_hash_lo);
eq("slot hash hi", hi, c.slot_hash_hi);
eq("holder in credential", BigInt(c.holder), h.commitment);
eq("credential commitment", H([TAG_CRED, c.schema, c.holder, c.issued, c.expires, c.revocation_nonce, c.salt, lo, hi]), c.commitment);

// 5. Merkle tree (quaternary): empty leaf 0, node Poseidon(c0, c1, c2, c3), depth = index bits,
//    two per level; path: per level the partner in the pair, then the other pair (left, right).
function merkleRoot(leaves, depth) {
  let level = leaves.map(BigInt), zero = 0n;
  for (let d = 0; d < depth / 2; d++) {
    const up = [];
    for (let i = 0; i < level.length; i += 4) up.push(H([0, 1, 2, 3].map((k) => (i + k < level.length ? level[i + k] : zero))));
    level = up.length ? up : [H([zero, zero, zero, zero])];
    zero = H([zero, zero, zero, zero]);
  }
  return level[0];
}
eq("merkle root", merkleRoot(v.merkle.leaves, v.merkle.depth), v.merkle.root);
function pathRoot(leaf, index, siblings, depth) {
  let cur = BigInt(leaf);
  for (let l = 0; l < depth / 2; l++) {
    const p = (index >> (2 * l)) & 3;
    const [s0, s1, s2] = siblings.slice(3 * l, 3 * l + 3).map(BigInt);
    const pair = p & 1 ? [s0, cur] : [cur, s0];
    cur = H(p & 2 ? [s1, s2, ...pair] : [...pair, s1, s2]);
  }
  return cur;
}
eq("merkle path", pathRoot(v.merkle.leaves[v.merkle.path_index], v.merkle.path_index, v.merkle.path_siblings, v.merkle.depth), v.merkle.root);

// 6. Interval sets: leaf Poseidon(TAG_SET, lo, hi), sorted, depth 6 (three quaternary levels).
for (const [k, s] of Object.entries(v.sets).filter(([k]) => k !== "depth")) {
  const leaves = s.intervals.map(([l, u]) => H([TAG_SET, l, u]));
  leaves.forEach((x, i) => eq(`set ${k} leaf ${i}`, x, s.leaves[i]));
  eq(`set ${k} root`, merkleRoot(leaves, v.sets.depth), s.root);
}

// 7. Policies: header = kind + 4a + 64b + 1024(lo.as_of + 2 lo.slot + 4 hi.as_of + 8 hi.slot);
//    elements = [schema, (header, lo, hi) x 8, (1 + 4a, root) or (0, 0) x 2];
//    hash: acc = TAG_POLICY; for each 11-element chunk (zero-padded) acc = Poseidon(acc, chunk).
for (const [name, p] of Object.entries(v.policies)) {
  const els = [BigInt(p.schema)];
  for (const cl of p.compare) {
    const flags = (cl.lo.as_of ? 1 : 0) + 2 * (cl.lo.slot ? 1 : 0) + 4 * (cl.hi.as_of ? 1 : 0) + 8 * (cl.hi.slot ? 1 : 0);
    els.push(BigInt(cl.kind + 4 * cl.a + 64 * cl.b + 1024 * flags), signed(cl.lo.constant), signed(cl.hi.constant));
  }
  for (const s of p.sets) {
    if (s === null) { els.push(0n, 0n); continue; }
    eq(`${name} set root`, merkleRoot(s.intervals.map(([l, u]) => H([TAG_SET, l, u])), 6), s.root);
    els.push(BigInt(1 + 4 * s.a), BigInt(s.root));
  }
  els.forEach((e, i) => eq(`${name} element ${i}`, e, p.elements[i]));
  let acc = TAG_POLICY;
  for (let i = 0; i < els.length; i += 11) {
    const chunk = els.slice(i, i + 11);
    while (chunk.length < 11) chunk.push(0n);
    acc = H([acc, ...chunk]);
  }
  eq(`${name} policy hash`, acc, p.hash);
}

// 8. Score models: elements = [schema, header, packed input shifts, T, hidden biases..., output
//    bias, packed weights...] with header = H + 2^8 shift + 2^16 (1 if above), shifts packed
//    4 bits per slot (slot 0 lowest), weights (hidden rows, then output) packed 15 per element
//    as sum (w + 2^15) 2^(16 i); hash: acc = TAG_MODEL, chained like policies.
const TAG_MODEL = ascii("healthzk/model/v1");
eq("tag model", TAG_MODEL, v.models.tag.value);
for (const [name, mv] of Object.entries(v.models).filter(([k]) => k !== "tag")) {
  const m = mv.model;
  const hidden = m.hidden ?? null;
  const H_ = hidden ? hidden.weights.length : 0, shift = hidden ? hidden.shift : 0;
  const header = BigInt(H_) + (BigInt(shift) << 8n) + (m.direction === "above" ? 1n << 16n : 0n);
  const shifts = m.input_shifts.reduce((acc, e, j) => acc + (BigInt(e) << BigInt(4 * j)), 0n);
  const els = [BigInt(mv.schema_id), header, shifts, signed(m.threshold)];
  if (hidden) hidden.bias.forEach((b) => els.push(signed(b)));
  els.push(signed(m.output.bias));
  const ws = [...(hidden ? hidden.weights.flat() : []), ...m.output.weights];
  for (let i = 0; i < ws.length; i += 15) {
    els.push(ws.slice(i, i + 15).reduce((acc, w, k) => acc + ((BigInt(w) + (1n << 15n)) << BigInt(16 * k)), 0n));
  }
  els.forEach((e, i) => eq(`model ${name} element ${i}`, e, mv.elements[i]));
  let acc = TAG_MODEL;
  for (let i = 0; i < els.length; i += 11) {
    const chunk = els.slice(i, i + 11);
    while (chunk.length < 11) chunk.push(0n);
    acc = H([acc, ...chunk]);
  }
  eq(`model ${name} hash`, acc, mv.hash);
}

// 9. Revocation (§13): gaps = maximal intervals of [0, 2^64 - 1] holding no revoked nonce, in
//    order; leaf Poseidon(TAG_REVOCATION_GAP, lo, hi); quaternary tree of depth 16.
const TAG_GAP = ascii("healthzk/revocation-gap/v1");
const MAX = (1n << 64n) - 1n;
for (const name of ["empty", "list"]) {
  const r = v.revocation[name];
  const revoked = r.revoked.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const gaps = [];
  let next = 0n;
  for (const n of revoked) { if (n > next) gaps.push([next, n - 1n]); next = n + 1n; }
  if (revoked.length === 0 || revoked[revoked.length - 1] < MAX) gaps.push([next, MAX]);
  eq(`revocation ${name} gap count`, BigInt(gaps.length), hex(r.gaps.length));
  gaps.forEach(([lo, hi], i) => {
    eq(`revocation ${name} gap ${i} lo`, lo, hex(r.gaps[i][0]));
    eq(`revocation ${name} gap ${i} hi`, hi, hex(r.gaps[i][1]));
  });
  const leaves = gaps.map(([lo, hi]) => H([TAG_GAP, lo, hi]));
  leaves.forEach((x, i) => eq(`revocation ${name} leaf ${i}`, x, r.leaves[i]));
  eq(`revocation ${name} root`, merkleRoot(leaves, v.revocation.depth), r.root);
}
{
  const o = v.revocation.opening;
  const [n, lo, hi] = [BigInt(o.nonce), BigInt(o.lo), BigInt(o.hi)];
  eq("revocation opening in its gap", BigInt(lo <= n && n <= hi), hex(1));
  const leaf = H([TAG_GAP, lo, hi]);
  eq("revocation opening leaf", leaf, v.revocation.list.leaves[o.path_index]);
  eq("revocation opening path", pathRoot(leaf, o.path_index, o.path_siblings, v.revocation.depth), v.revocation.list.root);
}

console.log(`circomlibjs: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
