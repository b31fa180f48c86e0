// The async methods of `TimeoutManager`: each opens a core operation (src/timeout_manager.rs)
// and runs it with the one driver (./driver.mjs). With a `store`, `call` and
// `invokeExternalService` run inside ./fleet-manager.mjs (the shared breaker and cache).
import { sharedCall } from './fleet-manager.mjs';

/** Adds `call`, `invokeExternalService`, `configureTimeout` and `syncMetrics`. */
export function installManager(TimeoutManager, drive) {
  const storeOf = (manager) => {
    let store = manager.__storeIo;
    if (store === undefined) {
      try {
        store = manager.__fleetStore() ?? false;
      } catch {
        // A freed manager: its operation reports the error.
        return false;
      }
      manager.__storeIo = store;
    }
    return store;
  };
  const methods = {
    call(endpointId, request) {
      const run = () => drive(this, () => this.__call(endpointId, request));
      const store = storeOf(this);
      if (store === false || typeof endpointId !== 'string') return run();
      return sharedCall(this, store, endpointId, this.__fleetCacheKey(request), run);
    },
    invokeExternalService(endpointId, fallbackTemplate) {
      const run = () => drive(this, () => this.__invoke(endpointId, fallbackTemplate));
      const store = storeOf(this);
      if (store === false || typeof endpointId !== 'string') return run();
      return sharedCall(this, store, endpointId, 'invokeExternalService', run);
    },
    configureTimeout(config) {
      return drive(this, () => this.__configure(config));
    },
    syncMetrics() {
      return drive(this, () => this.__sync());
    },
  };
  for (const [name, value] of Object.entries(methods)) {
    Object.defineProperty(TimeoutManager.prototype, name, { configurable: true, writable: true, value });
  }
}
