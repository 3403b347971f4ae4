/** `patchgd dataset check DIR [--json]`: opens a dataset folder and reports what it holds and what is wrong. */
import type { Command } from 'commander';
import { DatasetError } from '../../base/errors.ts';
import { checkDataset } from '../../io/dataset/check-files.ts';
import { type DatasetSummary, formatFinding, summarizeDataset } from '../../io/dataset/summary.ts';

const EXAMPLES = 3;

export function register(program: Command): void {
  const dataset = program.command('dataset').description('inspect dataset folders');
  dataset
    .command('check')
    .description('validate a PANDA folder, a labelled image folder or a slide folder')
    .argument('<dir>', 'dataset folder')
    .option('--json', 'print the summary and every finding as one JSON object')
    .action(async (dir: string, options: { json?: boolean }) => {
      const opened = await checkDataset(dir);
      const summary = summarizeDataset(opened, EXAMPLES);
      process.stdout.write(
        options.json
          ? JSON.stringify({ ...summary, findings: opened.findings }) + '\n'
          : formatSummary(summary),
      );
      // main() turns a thrown error into exit code 1 and one `error:` line, which is what errors here deserve.
      if (summary.errors > 0) throw new DatasetError(opened.root, plural(summary.errors, 'error finding'));
    });
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The human-readable report: one fact per line, then finding groups with their first examples. */
export function formatSummary(s: DatasetSummary): string {
  const lines = [`dataset    ${s.root} (${s.layout})`, `items      ${s.items} (${s.usable} usable)`];
  if (s.classCounts)
    lines.push(`classes    ${s.numClasses}: ${s.classCounts.map((n, label) => `${label}=${n}`).join(' ')}`);
  const providers = Object.entries(s.providers);
  if (providers.length > 0) lines.push(`providers  ${providers.map(([p, n]) => `${p}=${n}`).join(' ')}`);
  lines.push(`findings   ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}`);
  for (const g of s.groups) {
    lines.push(`  ${g.severity} ${g.code} (${g.count})`);
    for (const f of g.examples) lines.push(`    ${formatFinding(f, s.root)}`);
    if (g.count > g.examples.length) lines.push(`    … and ${g.count - g.examples.length} more`);
  }
  return lines.join('\n') + '\n';
}
