/**
 * `npm run lint:electron`: Electronegativity's security checks over electron/ (its CLI does not start with the
 * commander version installed here, so its JS API is called). Writes the full report as CSV and fails when any
 * finding is HIGH or CRITICAL.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from './bundle.ts';

export interface Finding {
  id: string;
  severity: string;
  confidence: string;
  file: string;
  line: number;
  description: string;
}

interface RawIssue {
  id: string;
  severity: { name: string };
  confidence: { name: string };
  file: string;
  location: { line: number };
  description: string;
}

type Run = (
  options: Record<string, unknown>,
) => Promise<{ issues: RawIssue[]; errors: { file: string; message: string }[] }>;

const BLOCKING = new Set(['HIGH', 'CRITICAL']);

/** Electron's version as installed, so checks judge today's defaults rather than Electron 0.1's. */
function electronVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('electron/package.json') as { version: string }).version;
}

export async function scanElectron(
  inputDir: string,
  reportFile: string,
): Promise<{ findings: Finding[]; errors: string[] }> {
  const run = createRequire(import.meta.url)('@doyensec/electronegativity') as Run;
  await mkdir(path.dirname(reportFile), { recursive: true });
  const result = await run({
    input: inputDir,
    output: reportFile,
    isRelative: true,
    electronVersionOverride: electronVersion(),
  });
  return {
    findings: result.issues.map((i) => ({
      id: i.id,
      severity: i.severity.name,
      confidence: i.confidence.name,
      file: i.file,
      line: i.location.line,
      description: i.description,
    })),
    errors: result.errors.map((e) => `${e.file}: ${e.message}`),
  };
}

export const isBlocking = (finding: Finding): boolean => BLOCKING.has(finding.severity);

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = path.join(PROJECT_ROOT, 'out', 'electronegativity.csv');
  const { findings, errors } = await scanElectron(path.join(PROJECT_ROOT, 'electron'), report);
  for (const f of findings) console.log(`${f.severity}\t${f.confidence}\t${f.id}\t${f.file}:${f.line}`);
  for (const e of errors) console.error(`error: ${e}`);
  const blocking = findings.filter(isBlocking);
  console.log(
    `${findings.length} findings, ${blocking.length} HIGH or worse; report: ${path.relative(PROJECT_ROOT, report)}`,
  );
  if (blocking.length > 0 || errors.length > 0) process.exitCode = 1;
}
