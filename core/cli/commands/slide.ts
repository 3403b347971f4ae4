import type { Command } from 'commander';
import sharp from 'sharp';
import { openSlide, type Slide, type SlideInfo } from '../../io/slide/index.ts';
import { writeFileAtomic } from '../../base/atomic.ts';
import { integer } from '../../base/option-parsers.ts';

async function withSlide<T>(file: string, fn: (slide: Slide) => Promise<T>): Promise<T> {
  const slide = await openSlide(file);
  try {
    return await fn(slide);
  } finally {
    for (const warning of slide.warnings) process.stderr.write(`warning: ${file}: ${warning}\n`);
    await slide.close();
  }
}

function describe(info: SlideInfo): string {
  const mpp = info.mpp ? `${info.mpp.x.toFixed(4)} × ${info.mpp.y.toFixed(4)} µm/px` : 'unknown';
  const lines = [
    `${info.path}`,
    `  size         ${info.width} × ${info.height} px`,
    `  mpp          ${mpp}`,
    `  compression  ${info.compression} (${info.photometric})${info.bigTiff ? ', BigTIFF' : ''}`,
    `  file size    ${info.fileSize} bytes`,
    `  levels       ${info.levels.length}`,
    ...info.levels.map(
      (l, i) =>
        `    ${i}: ${l.width} × ${l.height}, downsample ${+l.downsample.toFixed(4)}, tiles ${l.tileWidth} × ${l.tileHeight}`,
    ),
  ];
  if (info.associated.length > 0) {
    lines.push(
      `  associated   ${info.associated.map((a) => `${a.name} (${a.width} × ${a.height})`).join(', ')}`,
    );
  }
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  const slide = program.command('slide').description('inspect and read pyramidal TIFF slides');

  slide
    .command('info')
    .description('print the size, pyramid levels, resolution and compression of a slide')
    .argument('<file>', 'slide (TIFF/BigTIFF, e.g. PANDA .tiff or Aperio .svs)')
    .option('--json', 'print JSON instead of text')
    .action(async (file: string, opts: { json?: boolean }) => {
      const info = await withSlide(file, async (s) => s.info);
      process.stdout.write(opts.json ? JSON.stringify(info, null, 2) + '\n' : describe(info));
    });

  slide
    .command('region')
    .description(
      'read a region as PNG (x, y in level-0 pixels; width, height in level pixels; outside is white)',
    )
    .argument('<file>', 'slide')
    .requiredOption('--level <n>', 'pyramid level', integer('level', 0))
    .requiredOption('--x <px>', 'left edge in level-0 pixels', integer('x', -Infinity))
    .requiredOption('--y <px>', 'top edge in level-0 pixels', integer('y', -Infinity))
    .requiredOption('--width <px>', 'width in level pixels', integer('width', 1))
    .requiredOption('--height <px>', 'height in level pixels', integer('height', 1))
    .requiredOption('--out <file>', 'output PNG')
    .action(
      async (
        file: string,
        o: { level: number; x: number; y: number; width: number; height: number; out: string },
      ) => {
        const image = await withSlide(file, (s) => s.readRegion(o.level, o.x, o.y, o.width, o.height));
        const png = await sharp(image.data, {
          raw: { width: image.width, height: image.height, channels: 3 },
        })
          .png()
          .toBuffer();
        await writeFileAtomic(o.out, png);
      },
    );

  slide
    .command('tile')
    .description('write one stored tile: JPEG bytes as stored (tables spliced in) for JPEG slides, else PNG')
    .argument('<file>', 'slide')
    .requiredOption('--level <n>', 'pyramid level', integer('level', 0))
    .requiredOption('--col <n>', 'tile column', integer('col', 0))
    .requiredOption('--row <n>', 'tile row', integer('row', 0))
    .requiredOption('--out <file>', 'output file (.jpg or .png, as the tile is)')
    .action(async (file: string, o: { level: number; col: number; row: number; out: string }) => {
      const tile = await withSlide(file, (s) => s.readTile(o.level, o.col, o.row));
      await writeFileAtomic(o.out, tile.bytes);
      process.stderr.write(
        `${tile.mime}, ${tile.bytes.length} bytes${tile.passthrough ? ' (passthrough)' : ''}\n`,
      );
    });
}
