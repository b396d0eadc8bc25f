// Shrinks what Trunk wrote for the page's JS and wasm, run by
// scripts/build-web.sh after `wasm-opt --minify-imports-and-exports-and-modules`
// has given every import and export of the wasm a short name:
//   1. renames them to match in wasm-bindgen's JS glue (the imports object's
//      keys and module name, every `wasm.<export>`), from the map wasm-opt
//      printed;
//   2. checks the result against the wasm itself: every import the wasm asks
//      for is a key of the imports object, every `wasm.<name>` is an export;
//   3. minifies the JS with terser (Trunk's own minifier fails on the glue);
//   4. writes the new files' Subresource Integrity hashes into index.html in
//      place of the old ones (each must be found exactly once).
// Any surprise stops the build with a message; nothing is half-rewritten
// because the files are written only at the end.
//
// Usage: node scripts/minify-web.mjs INDEX_HTML JS WASM WASM_BEFORE MAP TERSER_DIR
//   WASM_BEFORE: the wasm as Trunk wrote it (its hash is in INDEX_HTML);
//   MAP: what wasm-opt printed; TERSER_DIR: terser's package directory.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename } from "node:path";

const [indexPath, jsPath, wasmPath, wasmBeforePath, mapPath, terserDir] = process.argv.slice(2);
if (!terserDir) {
    fail("usage: node scripts/minify-web.mjs INDEX_HTML JS WASM WASM_BEFORE MAP TERSER_DIR");
}

function fail(message) {
    console.error(`minify-web: ${message}`);
    process.exit(1);
}

const sri = (bytes) => "sha384-" + createHash("sha384").update(bytes).digest("base64");
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const jsBefore = readFileSync(jsPath, "utf8");
const wasm = readFileSync(wasmPath);
const mapText = readFileSync(mapPath, "utf8");
const map = JSON.parse(mapText.slice(mapText.indexOf("{")));
const module = new WebAssembly.Module(wasm);
const imports = WebAssembly.Module.imports(module);
const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));

// 1. Rename. Import keys are written `name: function…` in the imports
// object, exports are read as `wasm.name`.
let js = jsBefore;
const oldModules = new Set(map.imports.map(([m]) => m));
const newModules = new Set(imports.map((i) => i.module));
if (oldModules.size !== 1 || newModules.size !== 1) {
    fail(`expected one import module before and after, found ${[...oldModules]} and ${[...newModules]}`);
}
const [oldModule] = oldModules;
const [newModule] = newModules;
const moduleKey = new RegExp(`"${escape(oldModule)}"\\s*:`, "g");
if ((js.match(moduleKey) || []).length !== 1) {
    fail(`the glue does not name the import module "${oldModule}" exactly once`);
}
js = js.replace(moduleKey, `${JSON.stringify(newModule)}:`);
for (const [, before, after] of map.imports) {
    const key = new RegExp(`(^|[\\s,{])${escape(before)}(\\s*:)`, "gm");
    if ((js.match(key) || []).length !== 1) {
        fail(`the glue does not define import ${before} exactly once`);
    }
    js = js.replace(key, (_, lead, colon) => `${lead}${JSON.stringify(after)}${colon}`);
}
for (const [before, after] of map.exports) {
    js = js.replace(new RegExp(`\\bwasm\\.${escape(before)}\\b`, "g"), `wasm[${JSON.stringify(after)}]`);
}

// 2. Check against the wasm.
for (const { name } of imports) {
    if (!js.includes(`${JSON.stringify(name)}:`)) {
        fail(`the wasm imports ${name}, which the glue no longer defines`);
    }
}
for (const [, name] of js.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)) {
    if (!exports.has(name)) fail(`the glue reads wasm.${name}, which the wasm does not export`);
}
for (const [, name] of js.matchAll(/\bwasm\["([^"]+)"\]/g)) {
    if (!exports.has(name)) fail(`the glue reads wasm["${name}"], which the wasm does not export`);
}

// 3. Minify.
const require = createRequire(`${terserDir}/package.json`);
const { minify } = require(terserDir);
const out = await minify(js, { module: true, compress: { passes: 2 }, mangle: true, ecma: 2020 });
if (!out.code) fail("terser returned nothing");

// 4. Integrity hashes in the page.
let html = readFileSync(indexPath, "utf8");
for (const [before, after, file] of [
    [sri(jsBefore), sri(out.code), jsPath],
    [sri(readFileSync(wasmBeforePath)), sri(wasm), wasmPath],
]) {
    const count = html.split(before).length - 1;
    if (count !== 1) fail(`index.html holds ${basename(file)}'s integrity hash ${count} times, not once`);
    html = html.replace(before, after);
}

writeFileSync(jsPath, out.code);
writeFileSync(indexPath, html);
console.log(
    `minify-web: ${map.imports.length} imports and ${map.exports.length} exports renamed; ` +
        `${basename(jsPath)} ${Buffer.byteLength(jsBefore)} -> ${Buffer.byteLength(out.code)} bytes; integrity updated`,
);
