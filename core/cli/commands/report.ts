/** `patchgd report`: the evaluation report of a `patchgd grade` folder as one self-contained HTML page. */
import type { Command } from 'commander';
import { writeReport } from '../../jobs/report/index.ts';
import { integer } from '../../base/option-parsers.ts';

interface ReportOptions {
  grades: string;
  out: string;
  worst: number;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('evaluation report (QWK, confusion matrix, worst cases, training curves) as one HTML file')
    .requiredOption('--grades <dir>', 'output folder of `patchgd grade`')
    .requiredOption('--out <file>', 'HTML file to write')
    .option('--worst <n>', 'worst disagreements to show', integer('worst', 0), 8)
    .action(async (o: ReportOptions) => {
      const bytes = await writeReport(o.grades, o.out, o.worst);
      process.stdout.write(`wrote ${o.out} (${(bytes / 1024).toFixed(0)} KiB)\n`);
    });
}
