/**
 * What the outbound client can fail with. Callers branch on the class: a refusal is permanent
 * (the target is forbidden), a time-out or a network error is worth retrying.
 */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  /** Short and stable, e.g. "loopback (127.0.0.0/8)"; the message adds the host and address. */
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export class OutboundTimeoutError extends Error {
  override readonly name = 'OutboundTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`No complete response within ${timeoutMs} ms.`);
  }
}

export class OutboundNetworkError extends Error {
  override readonly name = 'OutboundNetworkError';
  /** The Node error code (ECONNREFUSED, ECONNRESET, ENOTFOUND, CERT_HAS_EXPIRED …). */
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A response body larger than the request allowed (`maxBodyBytes`); the connection is dropped. */
export class OutboundTooLargeError extends Error {
  override readonly name = 'OutboundTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`The response body is larger than ${maxBytes} bytes.`);
  }
}
