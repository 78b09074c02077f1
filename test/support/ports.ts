/** Free loopback ports, so tests never clash with a running `npm start` or each other. */
export { freePort } from '../../src/ops/stack/managedProcess';
