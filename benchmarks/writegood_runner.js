// Times write-good over the benchmark corpus: reads the corpus once, then checks every
// message, timing only the checking (best of five passes, as the Python tools). Prints one line of JSON for benchmarks/check_bench.py.
// Usage: node benchmarks/writegood_runner.js CORPUS.json MODULE_DIR
"use strict";
const fs = require("fs");
const path = require("path");

const corpusPath = process.argv[2];
const moduleDir = process.argv[3];
const writeGood = require(path.resolve(moduleDir));
const messages = JSON.parse(fs.readFileSync(corpusPath, "utf8")).map((m) => m.text);

// Warm up the JIT on a few messages, as the Python side warms up its rules.
for (let i = 0; i < 50 && i < messages.length; i++) writeGood(messages[i]);

// CPU time (user + system), as the Python side measures, so other work on a shared machine
// does not count against write-good.
let findings = 0;
let seconds = Infinity;
for (let pass = 0; pass < 5; pass++) {
  findings = 0;
  const start = process.cpuUsage();
  for (const text of messages) findings += writeGood(text).length;
  const used = process.cpuUsage(start);
  seconds = Math.min(seconds, (used.user + used.system) / 1e6);
}

const peak = process.resourceUsage().maxRSS * 1024; // maxRSS is in kilobytes
console.log(JSON.stringify({ messages: messages.length, seconds, findings, peak_rss: peak }));
