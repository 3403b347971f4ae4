import type { TrainEvent } from './events.ts';
import { formatBytes } from './memory.ts';

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** A resumed run from before plans were kept has no planned peak: it is measured from the first step. */
const planPeak = (bytes: number) =>
  bytes > 0 ? `peak ${formatBytes(bytes)}` : 'peak measured from the first step';

/** One line describing an event; null for events the renderer shows no text for. */
export function describeEvent(event: TrainEvent, metricName?: string): string | null {
  switch (event.type) {
    case 'plan': {
      const engine = `${event.backend} backend, ${event.threads} engine thread${event.threads === 1 ? '' : 's'}`;
      return event.message
        ? `${event.message} (${engine})`
        : `plan: ${event.method}, ${event.inputSize} px input, ${planPeak(event.peakBytes)}, ${engine}`;
    }
    case 'epoch-start':
      return null;
    case 'step':
      return (
        `epoch ${event.epoch + 1}/${event.epochs} batch ${event.batch + 1}/${event.batches} loss ${event.loss.toFixed(4)} ` +
        `${event.patchesPerSecond.toFixed(0)} patches/s peak ${formatBytes(event.peakBytes)} ` +
        (event.patchWait >= 0.005 ? `waiting for patches ${(100 * event.patchWait).toFixed(0)}% ` : '') +
        `ETA ${formatDuration(event.eta)}`
      );
    case 'epoch-end': {
      const m = event.metrics;
      const parts = [
        `epoch ${event.epoch + 1}/${event.epochs} done: loss ${m.loss.toFixed(4)}`,
        `train acc ${m.trainAccuracy.toFixed(3)}`,
      ];
      if (m.valAccuracy !== null) parts.push(`val acc ${m.valAccuracy.toFixed(3)}`);
      // Losses and accuracies are printed already; any other chosen metric (e.g. valQwk) is added.
      const extra = metricName ? m[metricName] : undefined;
      if (metricName && typeof extra === 'number' && !/^(val)?(loss|accuracy)$/i.test(metricName))
        parts.push(`${metricName} ${extra.toFixed(3)}`);
      parts.push(`ETA ${formatDuration(event.eta)}`);
      return parts.join(', ');
    }
    case 'checkpoint':
      return `saved ${event.name} checkpoint (epoch ${event.epoch})`;
    case 'done':
      return event.cancelled
        ? `stopped after ${event.epochs} epoch(s); resume continues from checkpoints/last`
        : `finished ${event.epochs} epoch(s)${event.best ? `; best ${event.best.metric} ${event.best.value.toFixed(4)} at epoch ${event.best.epoch + 1}` : ''}`;
  }
}

/**
 * Terminal renderer for training events: on a TTY a single redrawn line with a bar, loss, patches/s, ETA and the
 * last epoch's metric (`options.metric`, default valAccuracy), plus permanent lines for epochs and checkpoints;
 * otherwise plain lines only.
 */
export function createProgressBar(
  out: ProgressOutput,
  options: { metric?: string } = {},
): (event: TrainEvent) => void {
  const metric = options.metric ?? 'valAccuracy';
  let lastMetric = '';
  let live = false;
  const clear = () => {
    if (live) out.write('\r\x1b[2K');
    live = false;
  };
  return (event) => {
    if (event.type === 'epoch-end') {
      const value = event.metrics[metric];
      lastMetric = typeof value === 'number' ? ` ${metric} ${value.toFixed(3)}` : '';
    }
    if (event.type === 'step' && out.isTTY) {
      const width = Math.max(10, Math.min(30, (out.columns ?? 80) - 100));
      const done = (event.epoch * event.batches + event.batch + 1) / (event.epochs * event.batches);
      clear();
      out.write(`${bar(done, width)} ${describeEvent(event)}${lastMetric}`);
      live = true;
      return;
    }
    const text = describeEvent(event, metric);
    if (text === null) return;
    clear();
    out.write(`${text}\n`);
  };
}
