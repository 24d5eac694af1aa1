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
export type FileKind = "wal" | "sstable" | "manifest" | "temporary";

/** A numbered file recognised by {@linkcode parseFileName}. */
export interface ParsedFileName {
  kind: FileKind;
  number: number;
}

/** Name of the file that points at the live manifest. */
export const CURRENT_FILE_NAME = "CURRENT";

const SUFFIX_BY_KIND: Record<Exclude<FileKind, "manifest">, string> = {
  wal: ".log",
  sstable: ".sst",
  temporary: ".tmp",
};

const MANIFEST_PREFIX = "MANIFEST-";

function padNumber(number: number): string {
  return String(number).padStart(6, "0");
}

/** Returns the name (not the path) of numbered file `number` of `kind`. */
export function fileName(kind: FileKind, number: number): string {
  if (kind === "manifest") return MANIFEST_PREFIX + padNumber(number);
  return padNumber(number) + SUFFIX_BY_KIND[kind];
}

/** Joins a directory and a file name with `/`. */
export function joinPath(directory: string, name: string): string {
  return directory.endsWith("/") ? directory + name : `${directory}/${name}`;
}

/** Parses a numbered file name; returns undefined for any other name. */
export function parseFileName(name: string): ParsedFileName | undefined {
  if (name.startsWith(MANIFEST_PREFIX)) {
    const digits = name.slice(MANIFEST_PREFIX.length);
    return /^\d+$/.test(digits) ? { kind: "manifest", number: Number(digits) } : undefined;
  }
  const match = /^(\d+)(\.log|\.sst|\.tmp)$/.exec(name);
  if (!match) return undefined;
  const suffix = match[2];
  const kind = (Object.keys(SUFFIX_BY_KIND) as Exclude<FileKind, "manifest">[])
    .find((candidate) => SUFFIX_BY_KIND[candidate] === suffix);
  return kind === undefined ? undefined : { kind, number: Number(match[1]) };
}
