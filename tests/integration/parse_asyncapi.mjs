// Parses an AsyncAPI document (JSON on stdin) with the official parser, @asyncapi/parser, as
// installed by make into the folder given as argument; prints its diagnostics and the ids it read.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(process.argv[2] + "/node_modules/");
const { Parser } = require("@asyncapi/parser");
const severities = ["error", "warning", "info", "hint"];
const { document, diagnostics } = await new Parser().parse(readFileSync(0, "utf8"));
const ids = (collection) => (collection ? collection.all().map((item) => item.id()) : []);
console.log(JSON.stringify({
  diagnostics: diagnostics.map((d) => ({ severity: severities[d.severity], code: d.code, message: d.message,
                                         path: d.path.join("/") })),
  version: document?.version(),
  servers: ids(document?.servers()),
  channels: document ? document.channels().all().map((c) => [c.id(), c.address()]) : [],
  operations: document ? document.operations().all().map((o) => [o.id(), o.action(), o.messages().all().map((m) => m.id())]) : [],
  messages: ids(document?.allMessages()),
}));
