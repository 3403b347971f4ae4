/** Renders build/icon.svg to the 512×512 build/icon.png electron-builder turns into each platform's icon. */
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const dir = path.dirname(fileURLToPath(import.meta.url));
const target = path.join(dir, 'icon.png');
const temp = `${target}.tmp-${process.pid}`;
await sharp(path.join(dir, 'icon.svg'), { density: 72 })
  .resize(512, 512)
  .png({ compressionLevel: 9, palette: true, quality: 90 })
  .toFile(temp);
await rename(temp, target);
console.log(`${path.relative(process.cwd(), target)}: 512×512`);
