// The async methods of `TimeoutManager`: each opens a core operation (src/timeout_manager.rs)
// and runs it with the one driver (./driver.mjs).

/** Adds `call`, `invokeExternalService`, `configureTimeout` and `syncMetrics`. */
export function installManager(TimeoutManager, drive) {
  const methods = {
    call(endpointId, request) {
      return drive(this, () => this.__call(endpointId, request));
    },
    invokeExternalService(endpointId, fallbackTemplate) {
      return drive(this, () => this.__invoke(endpointId, fallbackTemplate));
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
