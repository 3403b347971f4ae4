/** Public API of the evaluation report. */
import path from 'node:path';
import { writeFileAtomic } from '../../base/atomic.ts';
import { checkOutputDir } from '../../base/dirs.ts';
import { renderReport } from './html.ts';
import { loadReportInput } from './load.ts';

export { renderReport } from './html.ts';
export {
  loadReportInput,
  parseCurves,
  parseGradeReport,
  worstDisagreements,
  type CurvePoint,
  type ReportInput,
  type WorstCase,
} from './load.ts';
export { confusionMatrixSvg, escapeXml, groupedBarsSvg, lineChartSvg } from './svg.ts';

/** Renders the report of a `patchgd grade` folder to `outFile` (atomically); returns the page's size in bytes. */
export async function writeReport(gradesDir: string, outFile: string, worstCount = 8): Promise<number> {
  checkOutputDir(path.dirname(path.resolve(outFile)));
  const html = renderReport(await loadReportInput(gradesDir, worstCount));
  await writeFileAtomic(path.resolve(outFile), html);
  return Buffer.byteLength(html);
}
