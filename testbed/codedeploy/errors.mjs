// @ts-check

/** An error answered on the wire as `{"__type": type, "message": message}` with `status`. */
export class ServiceError extends Error {
  /** @param {string} type @param {string} message @param {number} [status] */
  constructor(type, message, status = 400) {
    super(message)
    this.type = type
    this.status = status
  }
}

/** @param {string} type @param {string} message @returns {never} */
export function fail(type, message) {
  throw new ServiceError(type, message)
}
