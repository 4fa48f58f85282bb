// Parse a Mermaid file with Mermaid itself (in jsdom, since it expects a browser):
// prints {"ok": true, "type": ...} and exits 0, or {"ok": false, "error": ...} and exits 1.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");

const text = readFileSync(process.argv[2], "utf8");
try {
  const result = await mermaid.parse(text);
  console.log(JSON.stringify({ ok: true, type: result.diagramType }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error.message || error).split("\n")[0] }));
  process.exit(1);
}
