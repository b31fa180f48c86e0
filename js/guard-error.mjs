// The class of every error the package throws or rejects with. The wasm side constructs it, so
// `err instanceof GuardError` holds for every failure, from every entry.

const FIELDS = ['status', 'retryAfterMs', 'attempts', 'endpointId', 'errors', 'problem', 'reason'];

export class GuardError extends Error {
  /**
   * @param {string} code     `VALIDATION`, `CONFIG`, `AUTH`, `RATE_LIMITED`, `HTTP`, `NETWORK`, `TIMEOUT`,
   *                          `DEADLINE`, `CIRCUIT_OPEN`, `BAD_RESPONSE` or `CANCELLED`
   * @param {string} message
   * @param {{ status?: number, retryAfterMs?: number, attempts?: number, endpointId?: string,
   *           errors?: object[], problem?: object, reason?: string }} [details]  only the fields that apply are set
   */
  constructor(code, message, details) {
    super(message);
    this.code = code;
    for (const field of FIELDS) {
      const value = details?.[field];
      if (value !== undefined && value !== null) this[field] = value;
    }
  }
}

Object.defineProperty(GuardError.prototype, 'name', { value: 'GuardError', writable: true, configurable: true });
