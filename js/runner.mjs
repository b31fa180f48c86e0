// The async methods of `TestSuiteRunner`: each opens a core operation (src/test_suite_runner.rs)
// and runs it with the one driver (./driver.mjs). Whole runs (`run`, `runPlaybook`) wait for a
// place among `maxConcurrentRuns` (first come, first served); an abort while waiting rejects at
// once with `CANCELLED`.

import { hooks } from './driver.mjs';
import { guardError } from './guard-error.mjs';

/** Adds `run`, `runPlaybook`, `submit`, `waitForCompletion` and `fetchResults`. */
export function installRunner(TestSuiteRunner, drive) {
  const queues = new WeakMap();

  /** Runs `open` once a place is free. */
  async function limited(runner, open, options) {
    const { signal } = hooks(options);
    let queue = queues.get(runner);
    if (queue === undefined) {
      let max = 10;
      try {
        max = runner.__maxConcurrentRuns();
      } catch {
        throw guardError('CONFIG', 'this object was freed, or is not a TestSuiteRunner');
      }
      queue = { max, active: 0, waiting: [] };
      queues.set(runner, queue);
    }
    await admit(queue, signal);
    try {
      return await drive(runner, open, options);
    } finally {
      queue.active -= 1;
      const next = queue.waiting.shift();
      if (next !== undefined) next();
    }
  }

  const methods = {
    run(payload, options) {
      return limited(this, () => this.__run(payload, options), options);
    },
    runPlaybook(playbook, options) {
      return limited(this, () => this.__runPlaybook(playbook, options), options);
    },
    submit(payload) {
      return drive(this, () => this.__submit(payload));
    },
    waitForCompletion(id, options) {
      return drive(this, () => this.__wait(id), options);
    },
    fetchResults(id) {
      return drive(this, () => this.__fetchResults(id));
    },
  };
  for (const [name, value] of Object.entries(methods)) {
    Object.defineProperty(TestSuiteRunner.prototype, name, { configurable: true, writable: true, value });
  }
}

/** Takes a place in `queue`, waiting while it is full; rejects `CANCELLED` when `signal` aborts. */
function admit(queue, signal) {
  if (signal !== undefined && signal.aborted) return Promise.reject(guardError('CANCELLED', 'operation cancelled'));
  if (queue.active < queue.max) {
    queue.active += 1;
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const turn = () => {
      if (signal !== undefined) signal.removeEventListener('abort', onAbort);
      queue.active += 1;
      resolve();
    };
    const onAbort = () => {
      const at = queue.waiting.indexOf(turn);
      if (at >= 0) queue.waiting.splice(at, 1);
      reject(guardError('CANCELLED', 'operation cancelled'));
    };
    queue.waiting.push(turn);
    if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true });
  });
}
