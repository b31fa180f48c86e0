'use strict';
// Reading the input and writing the outputs of a command: a file, or `-` for stdin / stdout.
// An output file's folders are created, so a finished report is never lost to ENOENT.

const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { UsageError } = require('./flags');

/** The text of `file`, or of stdin for `-`. */
function readInput(file, io) {
  if (!file) throw new UsageError('missing FILE (a path, or - for stdin)');
  try {
    return file === '-' ? io.readStdin() : readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file === '-' ? 'stdin' : file}: ${err.code || err.message}`);
  }
}

/** Parses `text` read from `file` as JSON; a syntax error is a UsageError naming the file. */
function parseJson(text, file) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file === '-' ? 'stdin' : file}: INVALID_JSON ${err.message}`);
  }
}

/** Writes `text` to `file` (folders created), or to stdout for `-`; says where on stderr. */
function writeOutput(file, text, what, io) {
  if (file === '-') {
    io.stdout.write(text);
    return;
  }
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
  io.err(`${what} written to ${file}`);
}

module.exports = { readInput, parseJson, writeOutput };
