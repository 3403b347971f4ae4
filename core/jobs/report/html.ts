/** The evaluation report as one self-contained HTML page: inline CSS, inline SVG, images as data: URIs. */
import type { ReportInput, WorstCase } from './load.ts';
import { confusionMatrixSvg, escapeXml, groupedBarsSvg, lineChartSvg } from './svg.ts';

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px}
.card b{display:block;font-size:22px}table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}svg.chart text{font-size:11px;fill:#333}svg.chart .axis{font-weight:600}
.cases{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:14px}
.case{border:1px solid #ddd;border-radius:6px;padding:8px}.case img{max-width:100%;display:block;margin-top:4px}
.muted{color:#777}`;

const fmt = (x: number | null | undefined, digits = 3) =>
  typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : 'n/a';

function card(label: string, value: string): string {
  return `<div class="card">${escapeXml(label)}<b>${escapeXml(value)}</b></div>`;
}

function summary(input: ReportInput): string {
  const { grades } = input;
  const failed = grades.slides.filter((s) => s.error !== null).length;
  const cards = [
    card('QWK', fmt(grades.metrics?.qwk)),
    card('accuracy', fmt(grades.metrics?.accuracy)),
    card('slides graded', `${grades.slides.length - failed} / ${grades.slides.length}`),
    card('labelled', String(grades.metrics?.n ?? 0)),
  ];
  if (grades.localization) cards.push(card('localization AUROC', fmt(grades.localization.auroc)));
  const config = grades.run.config;
  return (
    `<section id="summary"><div class="cards">${cards.join('')}</div>` +
    `<p class="muted">run ${escapeXml(grades.run.dir)} (${escapeXml(config.method)}, ${escapeXml(config.backbone)}, ` +
    `${config.imageSize} px, patch ${config.patchSize}); data ${escapeXml(grades.data)}; attention ${escapeXml(grades.attentionMethod)} (${escapeXml(grades.attentionTarget)}); ` +
    `backend ${escapeXml(grades.backend ?? 'unknown')}; graded ${escapeXml(grades.createdAt)}</p></section>`
  );
}

function classes(input: ReportInput): string[] {
  return Array.from({ length: input.grades.run.config.numClasses }, (_, i) => String(i));
}

function confusion(input: ReportInput): string {
  const m = input.grades.metrics;
  const body = m
    ? confusionMatrixSvg(m.confusion_matrix, classes(input)) +
      `<p class="muted">Cell colour: share of the true grade's slides (row).</p>`
    : `<p class="muted">No labelled slides: no confusion matrix.</p>`;
  return `<section id="confusion"><h2>Confusion matrix</h2>${body}</section>`;
}

function perClass(input: ReportInput): string {
  const m = input.grades.metrics;
  const rows = m
    ? m.per_class
        .map(
          (c, i) =>
            `<tr><td>${i}</td><td>${fmt(c.precision)}</td><td>${fmt(c.recall)}</td><td>${fmt(c.f1)}</td><td>${c.support}</td></tr>`,
        )
        .join('')
    : '';
  const body = m
    ? `<table><thead><tr><th>grade</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>${rows}</tbody></table>`
    : `<p class="muted">No labelled slides.</p>`;
  return `<section id="per-class"><h2>Per-class precision and recall</h2>${body}</section>`;
}

function distribution(input: ReportInput): string {
  const names = classes(input);
  const count = (pick: (s: ReportInput['grades']['slides'][number]) => number | null) =>
    names.map((_, c) => input.grades.slides.filter((s) => pick(s) === c).length);
  const chart = groupedBarsSvg(
    names,
    [
      { name: 'true', color: '#4c78a8', values: count((s) => s.truth) },
      { name: 'predicted', color: '#f58518', values: count((s) => s.predicted) },
    ],
    'grade distribution',
  );
  return `<section id="distribution"><h2>Predicted and true grades</h2>${chart}</section>`;
}

function caseCard(c: WorstCase): string {
  const s = c.slide;
  const probs = s.probabilities?.map((p, i) => `${i}: ${fmt(p, 2)}`).join(' · ') ?? '';
  const img = (uri: string | null, alt: string) =>
    uri ? `<img src="${uri}" alt="${escapeXml(alt)}">` : `<p class="muted">${escapeXml(alt)} missing</p>`;
  return (
    `<div class="case"><b>${escapeXml(s.id)}</b> — true ${s.truth}, predicted ${s.predicted}` +
    `<div class="muted">${escapeXml(probs)}</div>${img(c.thumbnail, 'thumbnail')}${img(c.overlay, 'attention overlay')}</div>`
  );
}

function worst(input: ReportInput): string {
  const body = input.worst.length
    ? `<div class="cases">${input.worst.map(caseCard).join('')}</div>`
    : `<p class="muted">No disagreements among the labelled slides.</p>`;
  return `<section id="worst"><h2>Worst disagreements</h2>${body}</section>`;
}

function curves(input: ReportInput): string {
  if (input.curves.length === 0)
    return `<section id="curves"><h2>Training curves</h2><p class="muted">${escapeXml(input.curvesMissing ?? 'no epochs')}</p></section>`;
  const series = (key: 'loss' | 'valLoss' | 'valQwk' | 'valAccuracy') =>
    input.curves.map((p) => [p.epoch, p[key]] as const);
  const loss = lineChartSvg(
    [
      { name: 'train loss', color: '#4c78a8', points: series('loss') },
      { name: 'val loss', color: '#f58518', points: series('valLoss') },
    ],
    'loss per epoch',
  );
  const qwk = lineChartSvg(
    [
      { name: 'val QWK', color: '#54a24b', points: series('valQwk') },
      { name: 'val accuracy', color: '#b279a2', points: series('valAccuracy') },
    ],
    'QWK per epoch',
  );
  return `<section id="curves"><h2>Training curves</h2>${loss}${qwk}</section>`;
}

function failures(input: ReportInput): string {
  const failed = input.grades.slides.filter((s) => s.error !== null);
  if (failed.length === 0) return '';
  const rows = failed
    .map((s) => `<tr><td>${escapeXml(s.id)}</td><td>${escapeXml(s.error!)}</td></tr>`)
    .join('');
  return `<section id="failures"><h2>Slides that could not be graded</h2><table><tbody>${rows}</tbody></table></section>`;
}

/** The whole page. A content security policy forbids any request: everything it shows is inside it. */
export function renderReport(input: ReportInput): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">` +
    `<title>PatchGD grading report</title><style>${STYLE}</style></head><body>` +
    `<h1>PatchGD grading report</h1>` +
    [summary, confusion, perClass, distribution, worst, curves, failures]
      .map((part) => part(input))
      .join('') +
    `</body></html>\n`
  );
}
