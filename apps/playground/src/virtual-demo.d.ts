/** The demo images built into the site by the Vite config (from zoo/demo/<dataset>/labels.csv). */
declare module 'virtual:playground-demo' {
  import type { DemoImage } from './lib/demo-labels';
  export const DEMO_IMAGES: readonly DemoImage[];
  /** Relative URL of the demo images' licence file, or null. */
  export const DEMO_LICENSE: string | null;
}
