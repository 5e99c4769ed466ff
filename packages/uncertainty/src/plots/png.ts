/**
 * @file Optional PNG rendering of the SVG plots through `@resvg/resvg-js` (an optional dependency).
 */
import { quote } from '../checks';

/** Options of {@link svgToPng}. */
export interface SvgToPngConfig {
  /**
   * Output width in pixels (height follows the aspect ratio). Defaults to the SVG's own width.
   */
  width?: number;
  /**
   * Background colour behind transparent areas.
   * @defaultValue '#ffffff'
   */
  background?: string;
}

interface ResvgModule {
  Resvg: new (svg: string, options?: Record<string, unknown>) => { render(): { asPng(): Uint8Array } };
}

const RESVG = '@resvg/resvg-js';

/**
 * Rasterises an SVG string (such as the output of `selectivePredictionSvg`) to PNG bytes.
 *
 * Needs the optional dependency `@resvg/resvg-js` (prebuilt binaries from npm, no download at install).
 * System fonts are used for text.
 *
 * @throws Error "svgToPng needs the optional dependency @resvg/resvg-js" (with the import error as `cause`)
 *   when it is not installed.
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * await writeFile('calibration.png', await svgToPng(reliabilityDiagramSvg(diagram)));
 * ```
 */
export async function svgToPng(svg: string, config: SvgToPngConfig = {}): Promise<Uint8Array> {
  if (typeof svg !== 'string' || !svg.includes('<svg')) {
    throw new TypeError(`svgToPng() needs an SVG document string, got ${quote(svg)}.`);
  }
  if (config.width !== undefined && !(Number.isInteger(config.width) && config.width > 0)) {
    throw new RangeError(`svgToPng() width must be a positive integer, got ${quote(config.width)}.`);
  }
  let resvg: ResvgModule;
  try {
    const mod = (await import(/* @vite-ignore */ RESVG)) as ResvgModule & { default?: ResvgModule };
    resvg = mod.Resvg ? mod : (mod.default as ResvgModule);
  } catch (error) {
    throw new Error(
      `svgToPng needs the optional dependency ${RESVG}, which could not be loaded. ` +
        `Fix: npm install ${RESVG} (or keep the SVG string and convert it elsewhere).`,
      { cause: error },
    );
  }
  const renderer = new resvg.Resvg(svg, {
    background: config.background ?? '#ffffff',
    fitTo: config.width ? { mode: 'width', value: config.width } : { mode: 'original' },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return new Uint8Array(renderer.render().asPng());
}
