// Types of data-bundle.mjs, for the tests that import it.
export declare const ROOT: string;
export declare const PIPELINE_CODE_FILES: string[];
export declare const SERIES_CODE_FILES: string[];
export declare function pipelineCodeVersions(root?: string): Promise<{ day: string; series: string }>;
export declare function ensureBundle(): Promise<{ entry: string }>;
export declare function pruneBundles(dir: string, keep: string, now?: number): Promise<void>;
