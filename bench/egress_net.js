'use strict';
// Run by bench/egress.bench.js inside bench/egress_world.sh (a network of the
// bench's own: 10.78.0.2:8080 is bench/egress_server.py). Times, with curl's
// own clocks (so that no process start is in them), the same requests from
// sandboxes of three kinds, alternating round by round:
//   direct       sbx run --net host             (the namespace's network)
//   transparent  sbx run --allow-host 10.78.0.2:8080, curl --noproxy '*'
//                (connect() caught by the supervisor, the egress process connects)
//   proxy        the same sandbox, curl through HTTP_PROXY (the egress proxy)
// Then the same first-byte times from one client process that makes many
// connections (bench/egress_client.py: no process start between them, as a
// program that talks to a service does).
// Prints one JSON object: { ttfb: { name: [ms...] }, ttfbClient: { name: [ms...] },
// download: { name: [bytes/s...] } }.
//   node egress_net.js CLI ROUNDS PER_ROUND DOWNLOAD_ROUNDS BYTES
const { spawnSync } = require('node:child_process');

const [cli, rounds, perRound, dlRounds, bytes] = process.argv.slice(2);
const URL = 'http://10.78.0.2:8080';
const KINDS = {
  direct: { flags: ['--net', 'host'], curl: "--noproxy '*'" },
  transparent: { flags: ['--allow-host', '10.78.0.2:8080'], curl: "--noproxy '*'" },
  proxy: { flags: ['--allow-host', '10.78.0.2:8080'], curl: '' },
};

function inSandbox(kind, script) {
  const r = spawnSync(process.execPath, [cli, 'run', ...KINDS[kind].flags, '--', '/bin/sh', '-c', script], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${kind}: exit ${r.status}: ${r.stderr.slice(0, 400)}`);
  return r.stdout.trim().split('\n').map(Number);
}

const ttfb = Object.fromEntries(Object.keys(KINDS).map((k) => [k, []]));
const ttfbClient = Object.fromEntries(Object.keys(KINDS).map((k) => [k, []]));
// in the sandbox's working directory (the bench's own), which its view shows
const client = 'egress_client.py';
require('node:fs').copyFileSync(require('node:path').join(__dirname, client), client);
const download = Object.fromEntries(Object.keys(KINDS).map((k) => [k, []]));
for (let r = 0; r < Number(rounds); r++) {
  for (const kind of Object.keys(KINDS)) {
    // one warm-up request, then the timed ones
    const s = `curl -s -o /dev/null ${KINDS[kind].curl} ${URL}/small; for i in $(seq ${perRound}); do curl -s -o /dev/null ${KINDS[kind].curl} -w '%{time_starttransfer}\\n' ${URL}/small; done`;
    ttfb[kind].push(...inSandbox(kind, s).map((x) => x * 1000));
  }
}
for (let r = 0; r < Number(rounds); r++) {
  for (const kind of Object.keys(KINDS)) {
    ttfbClient[kind].push(...inSandbox(kind, `/usr/bin/python3 ${client} ${Number(perRound) * 5} ${kind === 'proxy' ? 'proxy' : 'direct'}`));
  }
}
for (let r = 0; r < Number(dlRounds); r++) {
  for (const kind of Object.keys(KINDS)) {
    const s = `curl -s -o /dev/null ${KINDS[kind].curl} -w '%{size_download}\\n%{speed_download}\\n' '${URL}/big?${bytes}'`;
    const [size, speed] = inSandbox(kind, s);
    if (size !== Number(bytes)) throw new Error(`${kind}: downloaded ${size} of ${bytes} bytes`);
    download[kind].push(speed);
  }
}
process.stdout.write(JSON.stringify({ ttfb, ttfbClient, download }) + '\n');
