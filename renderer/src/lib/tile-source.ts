/** An OpenSeadragon TileSource whose levels follow the slide's real pyramid (see pyramid.ts). */
import OpenSeadragon from 'openseadragon';
import { levelAt, osdLevels, type PyramidLevel } from './pyramid.ts';

export interface SlideGeometry {
  width: number;
  height: number;
  levels: readonly PyramidLevel[];
}

export function createTileSource(
  slide: SlideGeometry,
  tileUrl: (tiffLevel: number, col: number, row: number) => string,
): OpenSeadragon.TileSource {
  const levels = osdLevels(slide.levels);
  const top = levels[levels.length - 1]!;
  const source = new OpenSeadragon.TileSource({
    width: slide.width,
    height: slide.height,
    tileWidth: top.tileWidth,
    tileHeight: top.tileHeight,
    tileOverlap: 0,
    minLevel: 0,
    maxLevel: levels.length - 1,
  });
  source.getLevelScale = (level) => levelAt(levels, level).scale;
  source.getNumTiles = (level) => {
    const l = levelAt(levels, level);
    return new OpenSeadragon.Point(l.cols, l.rows);
  };
  source.getTileWidth = (level) => levelAt(levels, level).tileWidth;
  source.getTileHeight = (level) => levelAt(levels, level).tileHeight;
  source.getTileUrl = (level, x, y) => tileUrl(levelAt(levels, level).tiffLevel, x, y);
  return source;
}
