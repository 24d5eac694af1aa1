/**
 * Names of the files in an engine directory. Every on-disk name is built and parsed here so the
 * layout lives in one place (`FORMAT.md`, "Node directory layout").
 *
 * Numbered files share one counter (the manifest's next file number), so a number identifies
 * one file of any kind. Numbers are printed as six or more decimal digits.
 *
 * @module
 */

/** Kinds of numbered file in an engine directory. */
export type FileKind = "wal" | "sstable" | "temporary";

/** A numbered file recognised by {@linkcode parseFileName}. */
export interface ParsedFileName {
  kind: FileKind;
  number: number;
}

/** Name of the manifest: the live tables and WAL position. */
export const MANIFEST_FILE_NAME = "MANIFEST";
/** Name the next manifest is written under before it is renamed over {@linkcode MANIFEST_FILE_NAME}. */
export const MANIFEST_TEMPORARY_FILE_NAME = "MANIFEST.tmp";

const SUFFIX_BY_KIND: Record<FileKind, string> = {
  wal: ".log",
  sstable: ".sst",
  temporary: ".tmp",
};

/** Returns the name (not the path) of numbered file `number` of `kind`. */
export function fileName(kind: FileKind, number: number): string {
  return String(number).padStart(6, "0") + SUFFIX_BY_KIND[kind];
}

/** Joins a directory and a file name with `/`. */
export function joinPath(directory: string, name: string): string {
  return directory.endsWith("/") ? directory + name : `${directory}/${name}`;
}

/** Parses a numbered file name; returns undefined for any other name. */
export function parseFileName(name: string): ParsedFileName | undefined {
  const match = /^(\d+)(\.log|\.sst|\.tmp)$/.exec(name);
  if (!match) return undefined;
  const suffix = match[2];
  const kind = (Object.keys(SUFFIX_BY_KIND) as FileKind[])
    .find((candidate) => SUFFIX_BY_KIND[candidate] === suffix);
  return kind === undefined ? undefined : { kind, number: Number(match[1]) };
}
