// What the bundle gets for `node:child_process` (bin/bundle.js, `alias`). Commander requires it
// when it loads, for subcommands that are separate executables, which ferry has none of; loading
// it costs 2–6 ms of every start (`ferry ls` included). The module is loaded on first use instead
// (through getBuiltinModule: a require of it here would be this file again).
'use strict';
let real;
module.exports = new Proxy(
  {},
  {
    get(_target, key) {
      real ??= process.getBuiltinModule('node:child_process');
      return real[key];
    },
  },
);
