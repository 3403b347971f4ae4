/**
 * Tile serving through the browser-mode server: 1024 level-0 tiles of a 4096² JPEG pyramid over keep-alive HTTP
 * with 6 requests in flight (a browser's per-host limit), next to reading them straight from the slide; and a
 * thumbnail cold and from its cache. Prints one JSON object. Run: `npx tsx test/server/bench-tiles.ts`.
 */
import { Agent, request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServer } from '../../core/app/server/server.ts';
import { openSlide } from '../../core/io/slide/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { testEngine, writeSlide } from '../app/helpers.ts';
import { call } from './helpers.ts';

const SIDE = 4096;
const TILES = SIDE / 128;
const IN_FLIGHT = 6;

const dir = await makeTempDir('patchgd-bench-tiles-');
const data = join(dir, 'panda');
await mkdir(join(data, 'train_images'), { recursive: true });
await writeFile(
  join(data, 'train.csv'),
  'image_id,data_provider,isup_grade,gleason_score\nbig,radboud,1,3+3\n',
);
const slidePath = join(data, 'train_images', 'big.tiff');
await writeSlide(slidePath, { id: 'big', grade: 1, width: SIDE, height: SIDE });
const server = await startServer({
  port: 0,
  userDataDir: join(dir, 'user'),
  rendererDir: dir,
  spawnEngine: testEngine(),
});
const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function timedGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    request({ host: '127.0.0.1', port: server.port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - start));
    })
      .on('error', reject)
      .end();
  });
}

try {
  const opened = await call(server, 'folders.open', { path: data });
  const slideId = (await call(server, 'slides.list', { folderId: opened.folder.id })).rows[0]!.id;
  const query = `?token=${server.token}`;
  const paths: string[] = [];
  for (let row = 0; row < TILES; row++)
    for (let col = 0; col < TILES; col++) paths.push(`/tiles/${slideId}/0/${col}/${row}${query}`);
  const times: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < paths.length) times.push(await timedGet(paths[next++]!));
    }),
  );
  const wall = performance.now() - start;
  times.sort((a, b) => a - b);

  const slide = await openSlide(slidePath);
  const directStart = performance.now();
  for (let row = 0; row < TILES; row++)
    for (let col = 0; col < TILES; col++) await slide.readTile(0, col, row);
  const direct = (performance.now() - directStart) / paths.length;
  await slide.close();

  const thumbCold = await timedGet(`/thumbs/${slideId}${query}`);
  const thumbCached = await timedGet(`/thumbs/${slideId}${query}`);
  const round = (x: number) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify({
      tiles: times.length,
      inFlight: IN_FLIGHT,
      tilesPerSecond: Math.round(times.length / (wall / 1000)),
      medianMs: round(times[times.length >> 1]!),
      p95Ms: round(times[Math.floor(times.length * 0.95)]!),
      directReadTileMs: round(direct),
      thumbColdMs: round(thumbCold),
      thumbCachedMs: round(thumbCached),
    }),
  );
} finally {
  agent.destroy();
  await server.close();
  await removeDir(dir);
}
