export function electronPackageDir(fromDir?: string): string | null;
export function electronBinary(electronDir: string, env?: NodeJS.ProcessEnv): string | null;
