// Preloaded (node --require) into electronegativity: its CSV report is written by two concurrent
// fs.writeFile calls (the header, truncating, and the findings, appending), so now and then the
// header's truncate lands after the findings and the report comes out garbled. Here, writes to the
// same file run one after the other, in the order they were asked for.
const fs = require('node:fs');
const original = fs.writeFile;
const queues = new Map();
fs.writeFile = function writeFile(file, data, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  const opts = typeof options === 'function' ? undefined : options;
  const key = String(file);
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(
    () => new Promise((resolve) => original.call(fs, file, data, opts ?? {}, (err) => { resolve(); if (cb) cb(err); })),
  );
  queues.set(key, next);
  return undefined;
};
