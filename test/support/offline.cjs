// Preloaded (node --require) into third-party tools that tests run, e.g. electronegativity, which
// tries to download translations and Electron's release list: every DNS lookup of a name other than
// localhost fails at once, so nothing leaves this machine and nothing waits for a time-out.
const dns = require('node:dns');
const original = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  if (hostname === 'localhost' || /^127\./.test(hostname) || hostname === '::1') return original.apply(this, arguments);
  const error = Object.assign(new Error(`offline: lookup of ${hostname} refused`), { code: 'ENOTFOUND', hostname });
  process.nextTick(() => cb(error));
  return {};
};
