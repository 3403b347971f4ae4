import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../build/bundle.ts';
import { isBlocking, scanElectron, type Finding } from '../../build/lint-electron.ts';

describe('electronegativity', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'patchgd-electronegativity-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('finds nothing HIGH or worse in electron/', async () => {
    const report = path.join(dir, 'report.csv');
    const { findings, errors } = await scanElectron(path.join(PROJECT_ROOT, 'electron'), report);
    expect(errors).toEqual([]);
    const blocking: Finding[] = findings.filter(isBlocking);
    expect(blocking).toEqual([]);
    const csv = await fs.readFile(report, 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^issue, severity, confidence/);
  });

  it('does flag an insecure window, so a clean scan means something', async () => {
    const bad = path.join(dir, 'bad');
    await fs.mkdir(bad);
    await fs.writeFile(
      path.join(bad, 'main.ts'),
      "import { BrowserWindow } from 'electron';\n" +
        'const win = new BrowserWindow({ webPreferences: { contextIsolation: false, nodeIntegration: true } });\n' +
        "win.loadURL('http://example.com');\n",
    );
    const { findings } = await scanElectron(bad, path.join(dir, 'bad.csv'));
    expect(findings.filter(isBlocking).map((f) => f.id)).toEqual(
      expect.arrayContaining(['CONTEXT_ISOLATION_JS_CHECK', 'LIMIT_NAVIGATION_GLOBAL_CHECK']),
    );
  });
});
