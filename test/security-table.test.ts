/**
 * docs/security-model.md's attack table against what it is generated from
 * (scripts/security-table.js). The verdict cells are one host's run (kernel,
 * user, what the host itself refuses): npm test writes this run's table to
 * build/security-table.md and says when it differs, and publishing it is
 * `node scripts/security-table.js --write`. What does not depend on the host
 * is compared here: one row per attack program in test/escape/, each with the
 * class and source its header states, and the legend.
 */
import fs from 'node:fs';
import { describe, expect, test } from 'vitest';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const table = require('../scripts/security-table.js') as {
  LEGEND: string[];
  attackNames(): string[];
  rowHead(name: string): string;
  docSection(text: string): string | null;
  doc: string;
};

const section = table.docSection(fs.readFileSync(table.doc, 'utf8'));
const rows = (section ?? '').split('\n').filter((l) => l.startsWith('| `'));
const FIX = 'run the escape suites (npm test) and publish their table: node scripts/security-table.js --write';

describe('the attack table in docs/security-model.md', () => {
  test('has its generated section', () => {
    expect(section, `no escape-table markers in ${table.doc}`).not.toBeNull();
  });

  test('has one row per attack program, in order, with the class and source its header states', () => {
    const names = table.attackNames();
    expect(names.length).toBeGreaterThan(20);
    const docNames = rows.map((r) => /^\| `([^`]+)`/.exec(r)?.[1]);
    expect(docNames, FIX).toEqual(names);
    for (const [i, name] of names.entries()) {
      expect(rows[i].startsWith(`${table.rowHead(name)} `), `${name}: ${FIX}`).toBe(true);
    }
  });

  test('ends with the legend the script writes', () => {
    expect(section!.endsWith(table.LEGEND.join('\n')), FIX).toBe(true);
  });
});
