export declare const CLI_DIST: string;
export declare const BUILD_INFO: string;
export declare function buildCli(options?: { quiet?: boolean }): Promise<string>;
