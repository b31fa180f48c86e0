'use strict';
// Progress of a run on stderr: on a terminal, a bar redrawn on a timer (the elapsed time moves
// between polls); otherwise one plain `progress:` line per change, for CI logs.

const WIDTH = 24;
const REDRAW_MS = 250;

/** `{ onProgress(event), stop() }` for the run options. */
function progress(io) {
  let last;
  let receivedAt = 0;
  let lastLine = '';
  let timer;
  const describe = (p) =>
    (p.phase === 'case'
      ? `case #${p.index} ${p.status}${p.attempt > 1 ? ` (attempt ${p.attempt})` : ''} ${p.completed}/${p.total}`
      : `${p.phase} ${p.status ?? ''} ${p.total ? `${p.completed ?? 0}/${p.total}` : ''}`
    ).replace(/\s+/g, ' ').trim();
  const draw = () => {
    if (!last) return;
    const elapsed = last.elapsedMs + (Date.now() - receivedAt);
    const filled = last.total ? Math.round(((last.completed ?? 0) / last.total) * WIDTH) : 0;
    io.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${describe(last)} ${(elapsed / 1000).toFixed(1)}s\x1b[K`);
  };
  return {
    onProgress(p) {
      if (io.isTTY) {
        last = p;
        receivedAt = Date.now();
        if (!timer) {
          timer = setInterval(draw, REDRAW_MS);
          timer.unref();
        }
        draw();
        return;
      }
      const line = describe(p);
      const polls = p.polls === undefined ? '' : `poll ${p.polls}, `;
      if (line !== lastLine) io.err(`progress: ${line} (${polls}${Math.round(p.elapsedMs)} ms)`);
      lastLine = line;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (io.isTTY && last) io.stderr.write('\n');
    },
  };
}

module.exports = { progress, REDRAW_MS };
