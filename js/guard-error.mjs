// The error class of every failure cognigy-guard reports (`err instanceof GuardError`). The wasm
// builds it (the entries register the class) and copies the fields onto it: `code` always;
// `status`, `retryAfterMs`, `attempts`, `endpointId`, `errors`, `problem`, `reason` where they
// apply. Messages and fields never carry a credential.

/** A cognigy-guard failure: `code` is one of the stable codes of docs/API.md "Errors". */
export class GuardError extends Error {
  constructor(message, fields) {
    super(message);
    this.name = 'GuardError';
    if (fields) Object.assign(this, fields);
  }
}

/** A `GuardError` made in JS (outside the wasm), e.g. for a run aborted while it waited. */
export function guardError(code, message) {
  return new GuardError(message, { code });
}
