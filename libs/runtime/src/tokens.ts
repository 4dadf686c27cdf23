/** Injection token of the service's validated configuration object. */
export const SERVICE_CONFIG = Symbol('vstack:service-config');
/** Injection token of the service's pino logger. */
export const SERVICE_LOGGER = Symbol('vstack:service-logger');
/** Injection token of the service's name. */
export const SERVICE_NAME = Symbol('vstack:service-name');
