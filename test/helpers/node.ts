/**
 * The Node under test. npm test runs the Node-dependent suites on the system
 * Node (20) and again on Node 22 and 24 (scripts/test.js).
 */

export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/**
 * Node 22 and later (libuv 1.49+) hold io_uring rings from the start of every
 * event loop. With rings held, the self door refuses in enforce mode a policy
 * that refuses internet or unix sockets (a ring makes sockets that seccomp
 * does not see), and loads seccomp only once every thread is confined.
 */
export const RINGS_AT_START = NODE_MAJOR >= 22;

export type Policy = string | { extends?: string | string[]; net?: object; [k: string]: unknown };

/**
 * `policy` as a self-door test locks it down on the Node under test: with
 * rings held, a policy refusing sockets takes net.compat best-effort (socket
 * calls refused by seccomp, TCP connect and bind by Landlock); unchanged on
 * Node 20. The refusal itself has its own test (test/self.test.ts).
 */
export function forNode(policy: Policy): Policy {
  if (!RINGS_AT_START) return policy;
  const p = typeof policy === 'string' ? { extends: policy } : policy;
  return { ...p, net: { ...(p.net ?? {}), compat: 'best-effort' } };
}
