export declare const USAGE_FILE_ENV: string;
