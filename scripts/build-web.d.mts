/** Builds the dashboard into `outDir` (default `dist/web`); resolves to the directory's path. */
export function buildWeb(outDir?: string): Promise<string>;
