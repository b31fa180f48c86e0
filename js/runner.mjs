// The async methods of `TestSuiteRunner`: each opens a core operation (src/test_suite_runner.rs)
// and runs it with the one driver (./driver.mjs). Whole runs (`run`, `runPlaybook`, `runSimulation`, `runEndpoint`) wait for a
// place among `maxConcurrentRuns` (first come, first served); an abort while waiting rejects at
// once with `CANCELLED`.

import { hooks } from './driver.mjs';
import { GuardError } from './guard-error.mjs';

/** Adds `run`, `runPlaybook`, `runSimulation`, `runEndpoint`, `listPlaybooks`, `listSimulations`, `submit`, `waitForCompletion` and `fetchResults`. */
export function installRunner(TestSuiteRunner, drive) {
  const queues = new WeakMap();

  /** Runs `open` once a place is free. */
  function limited(runner, open, options) {
    return whenFree(runner, options, () => drive(runner, open, options));
  }

  /** Runs `body()` once a place among the runner's `maxConcurrentRuns` is free. */
  async function whenFree(runner, options, body) {
    const { signal } = hooks(options);
    let queue = queues.get(runner);
    if (queue === undefined) {
      let max = 10;
      try {
        max = runner.__maxConcurrentRuns();
      } catch {
        throw new GuardError('CONFIG', 'this object was freed, or is not a TestSuiteRunner');
      }
      queue = { max, active: 0, waiting: [] };
      queues.set(runner, queue);
    }
    await admit(queue, signal);
    try {
      return await body();
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
    runSimulation(simulation, options) {
      return limited(this, () => this.__runSimulation(simulation, options), options);
    },
    runEndpoint(payload, options) {
      return whenFree(this, options, () => runEndpoint(this, drive, payload, options));
    },
    listPlaybooks(options) {
      return drive(this, () => this.__listPlaybooks(), options);
    },
    listSimulations(projectId, options) {
      return drive(this, () => this.__listSimulations(projectId), options);
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

/**
 * An endpoint run: the core plans it (`__endpointPlan`), then each round of cases the core names
 * (`__endpointNext`: every case, then the reruns of failed ones) runs as one operation per case,
 * at most `concurrency` at once; `onProgress` gets each case's event. The end (`__endpointFinish`)
 * builds the report, sends the webhook and writes the audit record. An abort stops every case.
 */
async function runEndpoint(runner, drive, payload, options) {
  const { signal, onProgress } = hooks(options);
  let planned;
  try {
    planned = runner.__endpointPlan(payload, options);
  } catch (error) {
    if (error && error.name === 'GuardError') throw error;
    throw new GuardError('CONFIG', 'this object was freed, or is not a TestSuiteRunner');
  }
  const { plan, concurrency } = planned;
  try {
    for (let round = runner.__endpointNext(plan); round.length > 0; round = runner.__endpointNext(plan)) {
      await pool(round, concurrency, async (index) => {
        const event = await drive(runner, () => runner.__endpointCase(plan, index), { signal });
        if (onProgress !== undefined) {
          try {
            onProgress(event);
          } catch {
            // A progress callback must not break the run.
          }
        }
      });
      if (signal !== undefined && signal.aborted) throw new GuardError('CANCELLED', 'operation cancelled');
    }
    return await drive(runner, () => runner.__endpointFinish(plan), { signal });
  } finally {
    runner.__endpointDrop(plan);
  }
}

/**
 * Calls `work(item)` for every item, at most `limit` at once. The first rejection stops new
 * starts; it is rethrown once every started call settled.
 */
async function pool(items, limit, work) {
  let next = 0;
  let failure;
  const lane = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next];
      next += 1;
      try {
        await work(item);
      } catch (error) {
        if (failure === undefined) failure = { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure !== undefined) throw failure.error;
}

/** Takes a place in `queue`, waiting while it is full; rejects `CANCELLED` when `signal` aborts. */
function admit(queue, signal) {
  if (signal !== undefined && signal.aborted) return Promise.reject(new GuardError('CANCELLED', 'operation cancelled'));
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
      reject(new GuardError('CANCELLED', 'operation cancelled'));
    };
    queue.waiting.push(turn);
    if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true });
  });
}
