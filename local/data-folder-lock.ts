/**
 * One pipeline per data folder. LevelDB (under dynalite) allows one process per folder, and
 * dynalite crashes the process with "Database is closed" when the folder is taken; two pipelines
 * would also restore the same queued messages twice. A lock file with the owner's pid settles it
 * before anything opens the folder; a lock left by a process that no longer runs is taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

const LOCK_FILE = 'pipeline.lock';

export class DataFolderInUseError extends Error {
  constructor(readonly folder: string, readonly ownerPid: number) {
    super(`${folder} is in use by another local pipeline (pid ${ownerPid})`);
    this.name = 'DataFolderInUseError';
  }
}

export interface DataFolderLock {
  release(): Promise<void>;
}

export async function lockDataFolder(dataDir: string): Promise<DataFolderLock> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) throw new DataFolderInUseError(dataDir, owner);
    // Left behind by a process that is gone (e.g. killed with -9): take it over.
    await rm(file, { force: true });
  }
  throw new Error(`could not lock ${dataDir}: another process keeps creating ${LOCK_FILE}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
